//! Networks: inspect, create, remove, connect and disconnect containers.

use std::collections::HashMap;

use bollard::models::{
    EndpointIpamConfig, EndpointSettings, Ipam, IpamConfig, NetworkConnectRequest,
    NetworkCreateRequest, NetworkDisconnectRequest,
};
use bollard::query_parameters::InspectNetworkOptions;
use envctl_parser::IpamPool;
use envctl_planner::{NetworkResource, ObservedNetwork};
use indexmap::IndexMap;

use super::{Engine, EngineError, sorted, status, traced};
use crate::spec::NetworkEndpoint;

impl Engine {
    /// The network of that name or id as the engine describes it; `None` when there
    /// is none.
    pub async fn inspect_network(
        &self,
        name: &str,
    ) -> Result<Option<ObservedNetwork>, EngineError> {
        let request = self
            .client
            .inspect_network(name, None::<InspectNetworkOptions>);
        let network = match traced("inspect_network", name, request).await {
            Ok(network) => network,
            Err(error) if status(&error) == Some(404) => return Ok(None),
            Err(error) => return Err(error),
        };
        let ipam = network.ipam.unwrap_or_default();
        Ok(Some(ObservedNetwork {
            driver: network.driver.unwrap_or_default(),
            options: sorted(network.options),
            ipam_driver: ipam.driver.unwrap_or_default(),
            ipam_pools: ipam
                .config
                .unwrap_or_default()
                .into_iter()
                .map(|pool| IpamPool {
                    subnet: pool.subnet,
                    ip_range: pool.ip_range,
                    gateway: pool.gateway,
                    aux_addresses: sorted(pool.auxiliary_addresses),
                })
                .collect(),
            ipam_options: sorted(ipam.options),
            internal: network.internal.unwrap_or(false),
            enable_ipv6: network.enable_ipv6.unwrap_or(false),
            labels: sorted(network.labels),
        }))
    }

    /// Creates the network as 1.29.2's `Network.ensure` does (attachable, with the
    /// given labels); one that appeared meanwhile (409) is success.
    pub async fn create_network(
        &self,
        network: &NetworkResource,
        labels: &IndexMap<String, String>,
    ) -> Result<(), EngineError> {
        let ipam = network.ipam.as_ref().map(|ipam| Ipam {
            driver: Some(ipam.driver.clone().unwrap_or_else(|| "default".to_owned())),
            config: Some(
                ipam.config
                    .iter()
                    .map(|pool| IpamConfig {
                        subnet: pool.subnet.clone(),
                        ip_range: pool.ip_range.clone(),
                        gateway: pool.gateway.clone(),
                        auxiliary_addresses: (!pool.aux_addresses.is_empty())
                            .then(|| pool.aux_addresses.clone().into_iter().collect()),
                    })
                    .collect(),
            ),
            options: (!ipam.options.is_empty()).then(|| ipam.options.clone().into_iter().collect()),
        });
        let request = NetworkCreateRequest {
            name: network.name.clone(),
            driver: network.driver.clone(),
            internal: network.internal,
            enable_ipv6: network.enable_ipv6,
            attachable: Some(true),
            ipam,
            options: Some(network.driver_opts.clone().into_iter().collect()),
            labels: Some(labels.clone().into_iter().collect()),
            ..NetworkCreateRequest::default()
        };
        match traced(
            "create_network",
            &network.name,
            self.client.create_network(request),
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(error) if status(&error) == Some(409) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// `Ok(false)` when it was already gone.
    pub async fn remove_network(&self, name: &str) -> Result<bool, EngineError> {
        match traced("remove_network", name, self.client.remove_network(name)).await {
            Ok(()) => Ok(true),
            Err(error) if status(&error) == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Connects container `id` with the endpoint's aliases, addresses and links.
    pub async fn connect_network(
        &self,
        id: &str,
        endpoint: &NetworkEndpoint,
    ) -> Result<(), EngineError> {
        let request = NetworkConnectRequest {
            container: id.to_owned(),
            endpoint_config: Some(endpoint_settings(endpoint)),
        };
        traced(
            "connect_network",
            &endpoint.network,
            self.client.connect_network(&endpoint.network, request),
        )
        .await
    }

    pub async fn disconnect_network(&self, id: &str, network: &str) -> Result<(), EngineError> {
        let request = NetworkDisconnectRequest {
            container: id.to_owned(),
            force: None,
        };
        traced(
            "disconnect_network",
            network,
            self.client.disconnect_network(network, request),
        )
        .await
    }
}

/// The create request's `NetworkingConfig.EndpointsConfig` entry, or a connect's
/// endpoint (docker-py `create_endpoint_config`).
pub(super) fn endpoint_settings(endpoint: &NetworkEndpoint) -> EndpointSettings {
    let ipam_config =
        (endpoint.ipv4_address.is_some() || endpoint.ipv6_address.is_some()).then(|| {
            EndpointIpamConfig {
                ipv4_address: endpoint.ipv4_address.clone(),
                ipv6_address: endpoint.ipv6_address.clone(),
                ..EndpointIpamConfig::default()
            }
        });
    EndpointSettings {
        aliases: Some(endpoint.aliases.clone()),
        links: (!endpoint.links.is_empty()).then(|| endpoint.links.clone()),
        ipam_config,
        ..EndpointSettings::default()
    }
}

/// `NetworkingConfig.EndpointsConfig` for the create request.
pub(super) fn endpoints_config(endpoint: &NetworkEndpoint) -> HashMap<String, EndpointSettings> {
    let mut settings = endpoint_settings(endpoint);
    settings.links = None;
    HashMap::from([(endpoint.network.clone(), settings)])
}
