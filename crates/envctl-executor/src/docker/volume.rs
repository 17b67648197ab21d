//! Named volumes: inspect, create, remove.

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::RemoveVolumeOptions;
use envctl_planner::{ObservedVolume, VolumeResource};
use indexmap::IndexMap;

use super::{Engine, EngineError, sorted, status, traced};

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
}
