// Constat: the "Recevoir les alertes" section, for browsers with JavaScript.
// Without it the section keeps its sentence saying alerts need JavaScript;
// the rest of the page is the same either way. Texts come from the page
// (data- attributes rendered from the catalogue), in its language.
(function () {
  'use strict';
  var box = document.getElementById('alertes');
  if (!box) { return; }
  var d = box.dataset;
  var nojs = box.querySelector('.push-nojs');

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text) { e.textContent = text; }
    return e;
  }
  function say(text) {
    var p = el('p', text);
    p.className = 'push-msg';
    box.appendChild(p);
    return p;
  }
  function b64(s) {
    var pad = '='.repeat((4 - s.length % 4) % 4);
    var raw = atob((s + pad).replace(/-/g, '+').replace(/_/g, '/'));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function api(method, path, body) {
    return fetch(path, {method: method, headers: {'Content-Type': 'application/json'}, body: body && JSON.stringify(body)})
      .then(function (r) {
        if (!r.ok && r.status !== 204) { throw new Error('HTTP ' + r.status); }
        return r.status === 204 ? null : r.json();
      });
  }

  if (nojs) { nojs.hidden = true; }
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    // iOS has Web Push only for a web app added to the home screen.
    var ios = /iPhone|iPad|iPod/.test(navigator.userAgent) && !navigator.standalone;
    say(ios ? d.ios : d.unsupported);
    return;
  }
  if (Notification.permission === 'denied') {
    say(d.denied);
    return;
  }

  var form = el('form');
  form.className = 'push-form';
  var list = el('div');
  var status = el('p');
  status.className = 'push-status';
  var subscribe = el('button', d.subscribe);
  subscribe.type = 'submit';
  var unsubscribe = el('button', d.unsubscribe);
  unsubscribe.type = 'button';
  unsubscribe.hidden = true;
  form.appendChild(el('p', d.intro));
  form.appendChild(list);
  form.appendChild(subscribe);
  form.appendChild(unsubscribe);
  box.appendChild(form);
  box.appendChild(status);

  function checkbox(name, value, label, checked) {
    var l = el('label');
    var c = el('input');
    c.type = 'checkbox';
    c.name = name;
    c.value = value;
    c.checked = checked;
    c.dataset.label = label;
    l.appendChild(c);
    l.appendChild(document.createTextNode(' ' + label));
    return l;
  }
  function ticked(name) {
    return Array.prototype.slice.call(form.querySelectorAll('input[name=' + name + ']:checked'));
  }
  function showSubscribed(names) {
    status.textContent = names && names.length ? d.subscribed + ' ' + names.join(', ') : '';
    unsubscribe.hidden = !(names && names.length);
  }

  // A region's box set: its name, a box for the whole region, then its
  // services, given or fetched page by page (the region pages' pages),
  // never the whole list of every service.
  function region(g, all) {
    var fs = el('fieldset');
    fs.appendChild(el('legend', g.name));
    fs.appendChild(checkbox('group', g.id, all, g.id in saved.groups));
    list.appendChild(fs);
    return fs;
  }
  function add(fs, comps) {
    comps.forEach(function (c) { fs.appendChild(checkbox('component', c.id, c.name, c.id === d.component || c.id in saved.components)); });
  }
  function fetchPage(fs, id, n, button, chain) {
    if (button) { button.disabled = true; }
    return api('GET', '/api/v1/push/choices/' + encodeURIComponent(id) + (n > 1 ? '/' + n : '')).then(function (g) {
      if (button) { button.remove(); }
      add(fs, g.components || []);
      if (chain && g.page < g.pages) { more(fs, id, g.page + 1, d.more); }
    }).catch(function () {
      if (button) { button.disabled = false; }
      status.textContent = d.error;
    });
  }
  function more(fs, id, n, text) {
    var b = el('button', text);
    b.type = 'button';
    b.className = 'push-more';
    b.addEventListener('click', function () { fetchPage(fs, id, n, b, true); });
    fs.appendChild(b);
  }

  // What this browser is subscribed to, by ID with the labels as they
  // were ticked (from any page: each page shows only some choices).
  // Showing it needs no list; the boxes a page shows start as saved, and
  // sending keeps the saved choices this page does not show, since a new
  // subscription replaces the old one.
  var saved = {groups: {}, components: {}};
  try {
    var s = JSON.parse(localStorage.getItem('constat-alerts-choice'));
    if (s && s.groups && s.components) { saved = s; }
  } catch (e) { /* none saved, or not readable: start afresh */ }
  function labels(c) {
    return Object.keys(c.groups).map(function (id) { return c.groups[id]; })
      .concat(Object.keys(c.components).map(function (id) { return c.components[id]; }));
  }

  var ready = navigator.serviceWorker.register('/sw.js');
  var choices;
  if (d.component) {
    // A component's page: the component, ticked, and its region.
    var fs = d.group ? region({id: d.group, name: d.groupName}, d.all) : list;
    add(fs, [{id: d.component, name: d.componentName}]);
    choices = Promise.resolve();
  } else if (d.group) {
    // A region's page: the region and this page's services.
    choices = fetchPage(region({id: d.group, name: d.groupName}, d.all), d.group, Number(d.page) || 1);
  } else {
    // The home page: every region; each one's services come with it up to
    // a few hundred in all, else on demand.
    choices = api('GET', '/api/v1/push/choices').then(function (doc) {
      doc.groups.forEach(function (g) {
        var fs = region(g, g.components ? d.region : d.all + ' (' + g.count + ')');
        if (g.components) { add(fs, g.components); } else { more(fs, g.id, 1, d.pick); }
      });
    });
  }
  choices.then(function () {
    return ready.then(function (reg) { return reg.pushManager.getSubscription(); });
  }).then(function (sub) {
    if (sub) { showSubscribed(labels(saved)); }
  }).catch(function () { status.textContent = d.error; });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var next = {groups: {}, components: {}};
    var here = {};
    form.querySelectorAll('input[type=checkbox]').forEach(function (c) { here[c.name + ':' + c.value] = true; });
    ['groups', 'components'].forEach(function (kind) {
      Object.keys(saved[kind]).forEach(function (id) {
        if (!here[kind.slice(0, -1) + ':' + id]) { next[kind][id] = saved[kind][id]; }
      });
    });
    ticked('group').forEach(function (c) { next.groups[c.value] = c.closest('fieldset').querySelector('legend').textContent; });
    ticked('component').forEach(function (c) { next.components[c.value] = c.dataset.label; });
    var body = {components: Object.keys(next.components), groups: Object.keys(next.groups), lang: d.lang};
    if (!body.components.length && !body.groups.length) {
      status.textContent = d.choose;
      return;
    }
    // Subscribing can take seconds (the browser asks its push service):
    // say so, and keep a second tap from sending twice.
    status.textContent = d.pending;
    subscribe.disabled = true;
    Promise.all([ready, api('GET', '/api/v1/push/key'), Notification.requestPermission()]).then(function (r) {
      if (r[2] !== 'granted') { throw new Error('permission ' + r[2]); }
      return r[0].pushManager.getSubscription().then(function (sub) {
        return sub || r[0].pushManager.subscribe({userVisibleOnly: true, applicationServerKey: b64(r[1].public_key)});
      });
    }).then(function (sub) {
      body.subscription = sub.toJSON();
      return api('POST', '/api/v1/push/subscriptions', body);
    }).then(function () {
      saved = next;
      localStorage.setItem('constat-alerts-choice', JSON.stringify(saved));
      showSubscribed(labels(saved));
    }).catch(function () {
      status.textContent = Notification.permission === 'denied' ? d.denied : d.error;
    }).then(function () { subscribe.disabled = false; });
  });

  unsubscribe.addEventListener('click', function () {
    ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) { return null; }
      return api('DELETE', '/api/v1/push/subscriptions', {subscription: sub.toJSON()}).then(function () { return sub.unsubscribe(); });
    }).then(function () {
      localStorage.removeItem('constat-alerts-choice');
      saved = {groups: {}, components: {}};
      form.querySelectorAll('input[type=checkbox]:checked').forEach(function (c) { c.checked = false; });
      showSubscribed([]);
    }).catch(function () { status.textContent = d.error; });
  });
})();
