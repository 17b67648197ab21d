//! `POST /images/create` (pull) and `POST /build`, their progress as
//! [`ImageEvent`]s.

use std::collections::HashMap;
use std::io::{self, Write};

use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateImageOptionsBuilder, PushImageOptionsBuilder,
};
use futures::StreamExt as _;
use hyper::body::Bytes;
use tokio::sync::mpsc;

use super::{Engine, EngineError};
use crate::build_context::{self, ContextError, DockerfileLocation};
use crate::image::{BuildRequest, ImageEvent, ImageSink, RegistryAuth, split_reference};

/// Why a build failed.
#[derive(Debug)]
pub enum BuildFailure {
    /// The context could not be read.
    Context(ContextError),
    /// The engine refused the request or the build failed (a step's error).
    Engine(EngineError),
}

/// Bytes of the context sent in one chunk.
const CHUNK: usize = 64 * 1024;

impl Engine {
    /// Pulls `reference` (with `auth` when given), reporting each layer's progress
    /// to `sink`.
    /// Pushes `reference` (`repository:tag`) to its registry; an error the
    /// registry streams back is an error.
    pub async fn push_image(&self, reference: &str) -> Result<(), EngineError> {
        let (repository, tag) = split_reference(reference);
        let options = PushImageOptionsBuilder::new().tag(&tag).build();
        let mut stream = self.client.push_image(&repository, Some(options), None);
        while let Some(item) = stream.next().await {
            let info = item?;
            if let Some(detail) = info.error_detail {
                return Err(EngineError::stream(detail.message.unwrap_or_default()));
            }
        }
        Ok(())
    }

    pub async fn pull_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        sink: &ImageSink,
    ) -> Result<(), EngineError> {
        let (repository, tag) = split_reference(reference);
        let options = CreateImageOptionsBuilder::new()
            .from_image(&repository)
            .tag(&tag)
            .build();
        let credentials = auth.map(|auth| bollard::auth::DockerCredentials {
            username: auth.username.clone(),
            password: auth.password.clone(),
            identitytoken: auth.identity_token.clone(),
            serveraddress: Some(auth.server.clone()),
            ..bollard::auth::DockerCredentials::default()
        });
        let mut stream = self.client.create_image(Some(options), None, credentials);
        while let Some(item) = stream.next().await {
            let info = item?;
            if let Some(detail) = info.error_detail {
                return Err(EngineError::stream(detail.message.unwrap_or_default()));
            }
            let Some(status) = info.status else { continue };
            let event = match info.id {
                Some(id) if !status.starts_with("Pulling from") => {
                    let detail = info.progress_detail.unwrap_or_default();
                    ImageEvent::Layer {
                        id,
                        status,
                        current: detail.current.and_then(|n| u64::try_from(n).ok()),
                        total: detail.total.and_then(|n| u64::try_from(n).ok()),
                    }
                }
                Some(id) => ImageEvent::Status(format!("{id}: {status}")),
                None => ImageEvent::Status(status),
            };
            sink(event);
        }
        Ok(())
    }

    /// Builds `request`'s context (sent as a tar stream made while it is sent),
    /// reporting the build's log to `sink`. Returns the image's id.
    pub async fn build_image(
        &self,
        request: &BuildRequest,
        sink: &ImageSink,
    ) -> Result<Option<String>, BuildFailure> {
        let location = build_context::locate_dockerfile(&request.context, &request.dockerfile);
        let dockerfile = dockerfile_in(&location);
        let entries = {
            let context = request.context.clone();
            let location = location.clone();
            tokio::task::spawn_blocking(move || {
                let mut entries = build_context::entries(&context, &dockerfile_in(&location))?;
                if let DockerfileLocation::Outside { name, path } = location {
                    entries.push(build_context::ContextEntry { name, path });
                }
                Ok(entries)
            })
            .await
            .map_err(|error| {
                BuildFailure::Context(ContextError::Read {
                    path: request.context.clone(),
                    source: io::Error::other(error.to_string()),
                })
            })?
            .map_err(BuildFailure::Context)?
        };
        let (sender, receiver) = mpsc::channel::<Result<Bytes, io::Error>>(8);
        let writer = tokio::task::spawn_blocking(move || {
            let channel = ChannelWriter {
                sender: sender.clone(),
                buffer: Vec::with_capacity(CHUNK),
            };
            let result =
                build_context::write_tar(&entries, channel).and_then(|mut channel| channel.flush());
            if let Err(error) = &result {
                let _ = sender.blocking_send(Err(io::Error::new(error.kind(), error.to_string())));
            }
            result
        });
        let body = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        });

        let args: HashMap<&str, &str> = request
            .args
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let labels: HashMap<&str, &str> = request
            .labels
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let mut options = BuildImageOptionsBuilder::new()
            .dockerfile(&dockerfile)
            .t(&request.tag)
            .q(request.quiet)
            .nocache(request.no_cache)
            .rm(request.rm)
            .forcerm(request.force_rm)
            .buildargs(&args)
            .labels(&labels);
        if request.pull {
            options = options.pull("1");
        }
        if !request.cache_from.is_empty() {
            options = options.cachefrom(&request.cache_from);
        }
        if let Some(target) = &request.target {
            options = options.target(target);
        }
        if let Some(network) = &request.network {
            options = options.networkmode(network);
        }
        if let Some(shm_size) = request.shm_size.and_then(|n| i32::try_from(n).ok()) {
            options = options.shmsize(shm_size);
        }
        if let Some(memory) = request.memory.and_then(|n| i32::try_from(n).ok()) {
            options = options.memory(memory);
        }
        let mut stream =
            self.client
                .build_image(options.build(), None, Some(bollard::body_try_stream(body)));
        let mut failure = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail {
                        failure = Some(EngineError::stream(detail.message.unwrap_or_default()));
                        break;
                    }
                    if let Some(text) = info.stream {
                        for line in text.lines() {
                            if !line.trim().is_empty() {
                                sink(ImageEvent::Log(line.to_owned()));
                            }
                        }
                    }
                    if let Some(status) = info.status {
                        sink(ImageEvent::Status(status));
                    }
                }
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        drop(stream);
        if let Ok(Err(error)) = writer.await
            && error.kind() != io::ErrorKind::BrokenPipe
        {
            return Err(BuildFailure::Context(ContextError::Read {
                path: request.context.clone(),
                source: error,
            }));
        }
        if let Some(error) = failure {
            return Err(BuildFailure::Engine(error));
        }
        self.image_id(&request.tag).await.map_err(|_| {
            BuildFailure::Engine(EngineError::stream(format!(
                "the image `{}` is not there after its build",
                request.tag
            )))
        })
    }
}

/// The Dockerfile's name inside the context, for `.dockerignore`'s exception.
fn dockerfile_in(location: &DockerfileLocation) -> String {
    match location {
        DockerfileLocation::Inside(name) | DockerfileLocation::Outside { name, .. } => name.clone(),
    }
}

/// Feeds the tar writer's bytes to the request body in chunks.
struct ChannelWriter {
    sender: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}
