//! What a front end that labels what it makes (`envctl serve`) needs of the
//! engine besides the operations: volumes that hold only labels (facts that must
//! change without touching a container), and the events of labelled containers
//! (to keep a snapshot of them current).

use envctl_executor::{Engine, LabelledEvent, LabelledVolume, stream_labelled_events};
use indexmap::IndexMap;
use tokio_util::sync::CancellationToken;

use crate::error::OpsError;
use crate::target::EngineTarget;

/// Every volume carrying the label `key`, sorted by name.
pub async fn labelled_volumes(
    engine: &EngineTarget,
    key: &str,
) -> Result<Vec<LabelledVolume>, OpsError> {
    let engine = Engine::connect_to(&engine.endpoint()?).await?;
    Ok(engine.labelled_volumes(key).await?)
}

/// Creates the volume `name` with `labels` (it is never mounted).
pub async fn create_labelled_volume(
    engine: &EngineTarget,
    name: &str,
    labels: &IndexMap<String, String>,
) -> Result<(), OpsError> {
    let engine = Engine::connect_to(&engine.endpoint()?).await?;
    Ok(engine.create_labelled_volume(name, labels).await?)
}

/// Removes the volumes `names`; those already gone are no error.
pub async fn remove_labelled_volumes(
    engine: &EngineTarget,
    names: &[String],
) -> Result<(), OpsError> {
    let engine = Engine::connect_to(&engine.endpoint()?).await?;
    for name in names {
        engine.remove_labelled_volume(name).await?;
    }
    Ok(())
}

/// Sends each event of a container carrying `label` to `sink` until `shutdown`
/// (then `Ok`) or the engine ends the stream; `connected` is called once the
/// stream is open.
pub async fn labelled_events(
    engine: &EngineTarget,
    label: &str,
    connected: &(dyn Fn() + Send + Sync),
    sink: &(dyn Fn(LabelledEvent) + Send + Sync),
    shutdown: &CancellationToken,
) -> Result<(), OpsError> {
    let engine = Engine::connect_to(&engine.endpoint()?).await?;
    Ok(stream_labelled_events(&engine, label, connected, sink, shutdown).await?)
}
