//! The plan's networks and volumes (v2/v3 projects): their status lines and
//! warnings as events.

use envctl_executor::ResourceEvent;

use crate::events::Events;

pub(crate) fn report(events: &dyn Events, event: ResourceEvent) {
    match event {
        ResourceEvent::Status(line) => events.status(&line),
        ResourceEvent::Warning(message) => events.warning(&message),
    }
}
