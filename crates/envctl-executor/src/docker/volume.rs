//! Named volumes: inspect, create, remove; and volumes found by label (what a
//! front end keeps in a volume's labels, as `envctl serve`'s leases).

use std::collections::HashMap;

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{ListVolumesOptionsBuilder, RemoveVolumeOptions};
use envctl_planner::{ObservedVolume, VolumeResource};
use indexmap::IndexMap;

use super::{Engine, EngineError, sorted, status, traced};
use crate::error::{ExecutorError, Operation};

/// A volume as a label search finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledVolume {
    pub name: String,
    pub labels: IndexMap<String, String>,
}

impl Engine {
    /// The volume of that name as the engine describes it; `None` when there is none.
    pub async fn inspect_volume(&self, name: &str) -> Result<Option<ObservedVolume>, EngineError> {
        match traced("inspect_volume", name, self.client.inspect_volume(name)).await {
            Ok(volume) => Ok(Some(ObservedVolume {
                driver: volume.driver,
                options: sorted(Some(volume.options)),
                labels: sorted(Some(volume.labels)),
            })),
            Err(error) if status(&error) == Some(404) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Creates the volume (1.29.2 `Volume.create`: driver, options, labels).
    pub async fn create_volume(
        &self,
        volume: &VolumeResource,
        labels: &IndexMap<String, String>,
    ) -> Result<(), EngineError> {
        let request = VolumeCreateRequest {
            name: Some(volume.name.clone()),
            driver: volume.driver.clone(),
            driver_opts: (!volume.driver_opts.is_empty())
                .then(|| volume.driver_opts.clone().into_iter().collect()),
            labels: Some(labels.clone().into_iter().collect()),
            ..VolumeCreateRequest::default()
        };
        traced(
            "create_volume",
            &volume.name,
            self.client.create_volume(request),
        )
        .await
        .map(drop)
    }

    /// `Ok(false)` when it was already gone.
    pub async fn remove_volume(&self, name: &str) -> Result<bool, EngineError> {
        let request = self.client.remove_volume(name, None::<RemoveVolumeOptions>);
        match traced("remove_volume", name, request).await {
            Ok(()) => Ok(true),
            Err(error) if status(&error) == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Every volume carrying the label `key` (any value), sorted by name.
    pub async fn labelled_volumes(&self, key: &str) -> Result<Vec<LabelledVolume>, ExecutorError> {
        let filters = HashMap::from([("label", vec![key])]);
        let options = ListVolumesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let response = traced("list_volumes", key, self.client.list_volumes(Some(options)))
            .await
            .map_err(self.request_failed(Operation::InspectVolume, key))?;
        let mut volumes: Vec<LabelledVolume> = response
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|volume| LabelledVolume {
                name: volume.name,
                labels: sorted(Some(volume.labels)),
            })
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    /// Creates a local volume that holds nothing but its labels.
    pub async fn create_labelled_volume(
        &self,
        name: &str,
        labels: &IndexMap<String, String>,
    ) -> Result<(), ExecutorError> {
        let request = VolumeCreateRequest {
            name: Some(name.to_owned()),
            labels: Some(labels.clone().into_iter().collect()),
            ..VolumeCreateRequest::default()
        };
        traced("create_volume", name, self.client.create_volume(request))
            .await
            .map(drop)
            .map_err(self.request_failed(Operation::CreateVolume, name))
    }

    /// Removes a volume found by [`Engine::labelled_volumes`]; `Ok(false)` when it
    /// was already gone.
    pub async fn remove_labelled_volume(&self, name: &str) -> Result<bool, ExecutorError> {
        self.remove_volume(name)
            .await
            .map_err(self.request_failed(Operation::RemoveVolume, name))
    }
}
