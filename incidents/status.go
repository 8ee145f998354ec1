package incidents

import "fmt"

// UpdateStatus is the status an admin gives an incident or a maintenance,
// with Atlassian Statuspage's names. Persisted (the timeline stores it as a
// byte): do not reorder, do not reuse a value, add new statuses only at the
// end.
type UpdateStatus uint8

const (
	StatusNone          UpdateStatus = 0 // never stored; the zero value
	StatusInvestigating UpdateStatus = 1 // incident: looking into it
	StatusIdentified    UpdateStatus = 2 // incident: the cause is known
	StatusMonitoring    UpdateStatus = 3 // incident: fixed, watching
	StatusResolved      UpdateStatus = 4 // incident: over
	StatusScheduled     UpdateStatus = 5 // maintenance: announced, not begun
	StatusInProgress    UpdateStatus = 6 // maintenance: under way
	StatusCompleted     UpdateStatus = 7 // maintenance: over
	numUpdateStatuses                = 8
)

var updateStatusNames = [numUpdateStatuses]string{
	StatusNone: "none", StatusInvestigating: "investigating", StatusIdentified: "identified", StatusMonitoring: "monitoring",
	StatusResolved: "resolved", StatusScheduled: "scheduled", StatusInProgress: "in_progress", StatusCompleted: "completed",
}

// String returns the Statuspage name of s ("in_progress").
func (s UpdateStatus) String() string {
	if s < numUpdateStatuses {
		return updateStatusNames[s]
	}
	return fmt.Sprintf("update_status(%d)", uint8(s))
}

// ForIncident reports whether s is an incident status (investigating to resolved).
func (s UpdateStatus) ForIncident() bool { return s >= StatusInvestigating && s <= StatusResolved }

// ForMaintenance reports whether s is a maintenance status (scheduled to completed).
func (s UpdateStatus) ForMaintenance() bool { return s >= StatusScheduled && s <= StatusCompleted }

// MarshalText makes UpdateStatus appear by name in JSON.
func (s UpdateStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a status name other than "none".
func (s *UpdateStatus) UnmarshalText(b []byte) error {
	for i, n := range updateStatusNames {
		if n == string(b) && i != int(StatusNone) {
			*s = UpdateStatus(i)
			return nil
		}
	}
	return fmt.Errorf("unknown update status %q", b)
}

// Impact is how bad an incident is, as in Statuspage. Persisted as a byte:
// append-only values, as for UpdateStatus.
type Impact uint8

const (
	ImpactNone     Impact = 0
	ImpactMinor    Impact = 1
	ImpactMajor    Impact = 2
	ImpactCritical Impact = 3
	numImpacts            = 4
)

var impactNames = [numImpacts]string{ImpactNone: "none", ImpactMinor: "minor", ImpactMajor: "major", ImpactCritical: "critical"}

// String returns the Statuspage name of i ("critical").
func (i Impact) String() string {
	if i < numImpacts {
		return impactNames[i]
	}
	return fmt.Sprintf("impact(%d)", uint8(i))
}

// Valid reports whether i is one of the defined impacts (none included).
func (i Impact) Valid() bool { return i < numImpacts }

// MarshalText makes Impact appear by name in JSON.
func (i Impact) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// UnmarshalText parses an impact name.
func (i *Impact) UnmarshalText(b []byte) error {
	for v, n := range impactNames {
		if n == string(b) {
			*i = Impact(v)
			return nil
		}
	}
	return fmt.Errorf("unknown impact %q", b)
}
