//! A token's quotas (`environments=N`, `containers=N`; `ttl=D` is checked with the
//! request's `ttl`): whether a `PUT` may make or change an environment, given the
//! environments the token's owner holds.
//!
//! What is held is what the server lists: the environments with containers, the
//! ones being made or deleted, and the ones whose last change failed (until they
//! are deleted). Containers are counted as the resolved files ask (each service's
//! `scale`, the enabled profiles), not as they run, so a service that exited still
//! counts. The environment a `PUT` replaces is not counted twice: its new file
//! takes the place of its old one. The check and the placeholder that makes the
//! new environment visible are done under one lock ([`QuotaLock`]), so two
//! requests at once cannot both take the last place.

use axum::http::StatusCode;

use crate::environments::EnvironmentView;
use crate::error::ApiError;
use crate::tokens::Quota;

/// Held from a `PUT`'s quota check until its environment is listed.
pub type QuotaLock = tokio::sync::Mutex<()>;

/// The containers an environment's file asks for.
fn containers(view: &EnvironmentView) -> usize {
    view.services.values().map(|service| service.desired).sum()
}

/// Whether `name` may hold `wanted` containers, given the environments `held` of
/// the token's owner (`name` among them when it exists). `403 quota` when not,
/// saying what the quota is and what is held.
pub fn check(
    quota: &Quota,
    held: &[EnvironmentView],
    name: &str,
    wanted: usize,
) -> Result<(), ApiError> {
    let others: Vec<&EnvironmentView> = held.iter().filter(|view| view.name != name).collect();
    let exists = others.len() < held.len();
    if let Some(limit) = quota.environments
        && !exists
        && others.len() >= limit
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "quota",
            format!(
                "this token may hold {limit} environment(s) at once, and holds {}: delete one first",
                others.len()
            ),
        ));
    }
    if let Some(limit) = quota.containers {
        let in_use: usize = others.iter().map(|view| containers(view)).sum();
        if in_use + wanted > limit {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "quota",
                format!(
                    "this token may hold {limit} container(s) at once: its other environments hold {in_use}, and this file asks for {wanted}"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::environments::{ServiceView, State};

    fn view(name: &str, desired: &[usize]) -> EnvironmentView {
        let services: BTreeMap<String, ServiceView> = desired
            .iter()
            .enumerate()
            .map(|(index, desired)| {
                (
                    format!("s{index}"),
                    ServiceView {
                        running: *desired,
                        desired: *desired,
                        health: Vec::new(),
                        exit_codes: Vec::new(),
                    },
                )
            })
            .collect();
        EnvironmentView {
            name: name.to_owned(),
            state: State::Running,
            owner: "ci".to_owned(),
            template: "web".to_owned(),
            spec_hash: String::new(),
            created: String::new(),
            expires: String::new(),
            services,
            endpoints: Vec::new(),
            error: None,
            expires_at: 0,
            document: String::new(),
            labels: std::collections::HashMap::new(),
        }
    }

    #[test]
    fn environments_and_containers_of_the_others_count() {
        let quota = Quota {
            environments: Some(2),
            containers: Some(5),
            ttl: None,
        };
        let held = [view("a", &[1, 2]), view("b", &[1])];
        for (name, wanted, allowed) in [
            // A third environment: over the count, whatever its size.
            ("c", 1, false),
            // `a` replaced: 1 (b) + 4 fits in 5, 1 + 5 does not.
            ("a", 4, true),
            ("a", 5, false),
            // `b` replaced: 3 (a) + 2 fits, 3 + 3 does not.
            ("b", 2, true),
            ("b", 3, false),
        ] {
            let result = check(&quota, &held, name, wanted);
            assert_eq!(result.is_ok(), allowed, "{name} {wanted}: {result:?}");
            if let Err(error) = result {
                assert_eq!((error.status, error.code), (StatusCode::FORBIDDEN, "quota"));
            }
        }
        assert!(check(&Quota::default(), &held, "c", 100).is_ok());
        let only_containers = Quota {
            containers: Some(5),
            ..Quota::default()
        };
        assert!(check(&only_containers, &held, "c", 1).is_ok());
        assert!(check(&only_containers, &held, "c", 2).is_err());
    }
}
