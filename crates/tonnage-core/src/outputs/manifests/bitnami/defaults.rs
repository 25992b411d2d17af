//! The defaults of the Bitnami charts' values that the pods' security contexts, probes, update
//! strategies and token follow (PostgreSQL 12.5.9, Redis 17.11.8, RabbitMQ 11.16.2
//! `values.yaml`), as facts: the catalogs keep only the subchart keys the plan reads, and
//! Helm merges what the parent passes over these key by key ([`super::Sub::map`]).

/// Chart, values path, the default map (YAML flow text).
const DEFAULTS: &[(&str, &str, &str)] = &[
    // PostgreSQL 12.5.9
    ("postgresql", "primary.podSecurityContext", "{enabled: true, fsGroup: 1001}"),
    ("postgresql", "primary.containerSecurityContext", "{enabled: true, runAsUser: 1001}"),
    ("postgresql", "primary.livenessProbe", "{enabled: true, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1}"),
    ("postgresql", "primary.readinessProbe", "{enabled: true, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1}"),
    ("postgresql", "primary.updateStrategy", "{type: RollingUpdate, rollingUpdate: {}}"),
    ("postgresql", "readReplicas.podSecurityContext", "{enabled: true, fsGroup: 1001}"),
    ("postgresql", "readReplicas.containerSecurityContext", "{enabled: true, runAsUser: 1001}"),
    ("postgresql", "readReplicas.livenessProbe", "{enabled: true, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1}"),
    ("postgresql", "readReplicas.readinessProbe", "{enabled: true, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1}"),
    ("postgresql", "readReplicas.updateStrategy", "{type: RollingUpdate, rollingUpdate: {}}"),
    ("postgresql", "metrics.containerSecurityContext", "{enabled: true, runAsUser: 1001, runAsNonRoot: true}"),
    ("postgresql", "metrics.livenessProbe", "{enabled: true, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1}"),
    ("postgresql", "metrics.readinessProbe", "{enabled: true, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1}"),
    ("postgresql", "volumePermissions.image", "{registry: docker.io, repository: bitnami/bitnami-shell, tag: 11-debian-11-r130, digest: \"\", pullPolicy: IfNotPresent}"),
    ("postgresql", "volumePermissions.resources", "{limits: {}, requests: {}}"),
    ("postgresql", "volumePermissions.containerSecurityContext", "{runAsUser: 0}"),
    // Redis 17.11.8
    ("redis", "serviceAccount", "{automountServiceAccountToken: true}"),
    ("redis", "master.podSecurityContext", "{enabled: true, fsGroup: 1001}"),
    ("redis", "master.containerSecurityContext", "{enabled: true, runAsUser: 1001}"),
    ("redis", "master.livenessProbe", "{enabled: true, initialDelaySeconds: 20, periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5}"),
    ("redis", "master.readinessProbe", "{enabled: true, initialDelaySeconds: 20, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 5}"),
    ("redis", "master.startupProbe", "{enabled: false, initialDelaySeconds: 20, periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5}"),
    ("redis", "master.updateStrategy", "{type: RollingUpdate}"),
    ("redis", "master.serviceAccount", "{automountServiceAccountToken: true}"),
    ("redis", "replica.podSecurityContext", "{enabled: true, fsGroup: 1001}"),
    ("redis", "replica.containerSecurityContext", "{enabled: true, runAsUser: 1001}"),
    ("redis", "replica.livenessProbe", "{enabled: true, initialDelaySeconds: 20, periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5}"),
    ("redis", "replica.readinessProbe", "{enabled: true, initialDelaySeconds: 20, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 5}"),
    ("redis", "replica.startupProbe", "{enabled: true, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 22}"),
    ("redis", "replica.updateStrategy", "{type: RollingUpdate}"),
    ("redis", "replica.serviceAccount", "{automountServiceAccountToken: true}"),
    ("redis", "sentinel.containerSecurityContext", "{enabled: true, runAsUser: 1001}"),
    ("redis", "sentinel.livenessProbe", "{enabled: true, initialDelaySeconds: 20, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 6}"),
    ("redis", "sentinel.readinessProbe", "{enabled: true, initialDelaySeconds: 20, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 6}"),
    ("redis", "sentinel.startupProbe", "{enabled: true, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 22}"),
    ("redis", "metrics.containerSecurityContext", "{enabled: true, runAsUser: 1001}"),
    ("redis", "metrics.livenessProbe", "{enabled: true, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5}"),
    ("redis", "metrics.readinessProbe", "{enabled: true, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3}"),
    ("redis", "volumePermissions.image", "{registry: docker.io, repository: bitnami/bitnami-shell, tag: 11-debian-11-r134, digest: \"\", pullPolicy: IfNotPresent}"),
    ("redis", "volumePermissions.resources", "{limits: {}, requests: {}}"),
    ("redis", "volumePermissions.containerSecurityContext", "{runAsUser: 0}"),
    ("redis", "sysctl.image", "{registry: docker.io, repository: bitnami/bitnami-shell, tag: 11-debian-11-r134, digest: \"\", pullPolicy: IfNotPresent}"),
    ("redis", "sysctl.resources", "{limits: {}, requests: {}}"),
    // RabbitMQ 11.16.2
    ("rabbitmq", "podSecurityContext", "{enabled: true, fsGroup: 1001}"),
    ("rabbitmq", "containerSecurityContext", "{enabled: true, runAsUser: 1001, runAsNonRoot: true}"),
    ("rabbitmq", "livenessProbe", "{enabled: true, initialDelaySeconds: 120, timeoutSeconds: 20, periodSeconds: 30, failureThreshold: 6, successThreshold: 1}"),
    ("rabbitmq", "readinessProbe", "{enabled: true, initialDelaySeconds: 10, timeoutSeconds: 20, periodSeconds: 30, failureThreshold: 3, successThreshold: 1}"),
    ("rabbitmq", "updateStrategy", "{type: RollingUpdate}"),
];

/// The chart's default map at `path` (empty when it has none here). The texts are read once,
/// on first use: every Bitnami pod of every render asks for several of them.
pub(super) fn default_map(chart: &str, path: &str) -> serde_yaml::Mapping {
    static PARSED: std::sync::OnceLock<Vec<serde_yaml::Mapping>> = std::sync::OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        DEFAULTS
            .iter()
            .map(|(_, _, text)| serde_yaml::from_str(text).unwrap_or_default())
            .collect()
    });
    DEFAULTS
        .iter()
        .position(|(c, p, _)| *c == chart && *p == path)
        .and_then(|i| parsed.get(i).cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_default_reads_as_a_map() {
        for (c, p, t) in super::DEFAULTS {
            let m: Result<serde_yaml::Mapping, _> = serde_yaml::from_str(t);
            assert!(m.is_ok_and(|m| !m.is_empty()), "{c} {p}");
        }
    }
}
