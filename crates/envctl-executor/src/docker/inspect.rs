//! What `envctl top` and `envctl images` ask about one container or image:
//! `GET /containers/{id}/top` and `GET /images/{name}/json`.

use bollard::query_parameters::TopOptions;

use super::{Engine, status, traced};
use crate::error::{ExecutorError, Operation};

/// The processes of a running container, as `ps` inside it prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessList {
    /// The column titles (`UID`, `PID`, `PPID`, `C`, `STIME`, `TTY`, `TIME`, `CMD`).
    pub titles: Vec<String>,
    /// One row per process, a cell per title.
    pub processes: Vec<Vec<String>>,
}

/// A local image, as `envctl images` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageDetails {
    /// `sha256:…`.
    pub id: String,
    /// `name:tag` references of the image, in the engine's order.
    pub repo_tags: Vec<String>,
    /// Bytes.
    pub size: i64,
}

impl Engine {
    /// The processes running in container `id`.
    pub async fn top(&self, id: &str) -> Result<ProcessList, ExecutorError> {
        let request = self.client.top_processes(id, None::<TopOptions>);
        let response = traced("top", id, request)
            .await
            .map_err(self.request_failed(Operation::Top, id))?;
        Ok(ProcessList {
            titles: response.titles.unwrap_or_default(),
            processes: response.processes.unwrap_or_default(),
        })
    }

    /// The image `reference` (a name or an id); `None` when there is no such image.
    pub async fn image_details(
        &self,
        reference: &str,
    ) -> Result<Option<ImageDetails>, ExecutorError> {
        match traced(
            "inspect_image",
            reference,
            self.client.inspect_image(reference),
        )
        .await
        {
            Ok(image) => Ok(Some(ImageDetails {
                id: image.id.unwrap_or_default(),
                repo_tags: image.repo_tags.unwrap_or_default(),
                size: image.size.unwrap_or_default(),
            })),
            Err(error) if status(&error) == Some(404) => Ok(None),
            Err(source) => Err(self.request_failed(Operation::InspectImage, reference)(
                source,
            )),
        }
    }
}
