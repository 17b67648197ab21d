//! `envctl events`: the project's container events, a line each, as 1.29.2 prints
//! them (`2021-05-10 12:00:00.123456 container start <id> (image=…, name=…)`), or
//! with `--json` an object per line. Interrupted (Ctrl-C), it exits 1 as 1.29.2.

use envctl_ops::Events;
use envctl_ops::types::ContainerEvent;

use crate::args::EventsArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line, terminal_events};

pub async fn run(invocation: &Invocation, args: EventsArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let events = Printed {
        terminal: Terminal::new(),
        json: args.json,
    };
    match envctl_ops::events(&target, &args.services, &events, &crate::interrupt::token()).await {
        Ok(()) => Ok(()),
        Err(envctl_ops::OpsError::Interrupted) => Err(Failure::exit(1)),
        Err(error) => Err(error.into()),
    }
}

struct Printed {
    terminal: Terminal,
    json: bool,
}

impl Events for Printed {
    terminal_events!();

    fn container_event(&self, event: &ContainerEvent) {
        let line = if self.json {
            json_line(event)
        } else {
            format!(
                "{} container {} {} (image={}, name={})",
                timestamp(event.time_nano, ' '),
                event.action,
                event.id,
                event.image,
                event.name
            )
        };
        let _ = print_line(&line);
    }
}

/// 1.29.2's `--json` object, its keys in its order.
fn json_line(event: &ContainerEvent) -> String {
    let quote = |text: &str| serde_json::Value::from(text).to_string();
    format!(
        "{{\"time\": {}, \"type\": \"container\", \"action\": {}, \"id\": {}, \"service\": {}, \"attributes\": {{\"name\": {}, \"image\": {}}}}}",
        quote(&timestamp(event.time_nano, 'T')),
        quote(&event.action),
        quote(&event.id),
        quote(&event.service),
        quote(&event.name),
        quote(&event.image)
    )
}

/// `YYYY-MM-DD<separator>HH:MM:SS.ffffff` (UTC) of nanoseconds since the epoch.
fn timestamp(time_nano: i64, separator: char) -> String {
    let seconds = time_nano.div_euclid(1_000_000_000);
    let micros = time_nano.rem_euclid(1_000_000_000) / 1000;
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}{separator}{:02}:{:02}:{:02}.{micros:06}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::timestamp;

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        assert_eq!(
            timestamp(1_620_648_000_123_456_789, ' '),
            "2021-05-10 12:00:00.123456"
        );
        assert_eq!(
            timestamp(951_782_400_000_000_000, 'T'),
            "2000-02-29T00:00:00.000000"
        );
    }
}
