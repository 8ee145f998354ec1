// Constat's service worker: it shows the alerts pushed by the server (a
// JSON payload {title, body, url, component, incident, state, at}) and
// opens the incident's page when one is tapped. It caches nothing.
'use strict';

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener('push', function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = {body: event.data ? event.data.text() : ''};
  }
  var options = {
    body: data.body || '',
    icon: '/icon-192.png',
    badge: '/icon-192.png',
    data: {url: data.url || '/'},
    timestamp: data.at ? Date.parse(data.at) : Date.now()
  };
  if (data.component) {
    // One notification per service: "back up" replaces "down", as the
    // Topic header does inside the push service.
    options.tag = data.component;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(data.title || 'Constat', options));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || '/', self.location.origin).href;
  event.waitUntil(self.clients.matchAll({type: 'window', includeUncontrolled: true}).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url === url && 'focus' in list[i]) { return list[i].focus(); }
    }
    return self.clients.openWindow(url);
  }));
});
