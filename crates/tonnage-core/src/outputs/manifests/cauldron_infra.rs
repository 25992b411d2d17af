//! cauldron-infra (seemslegit42/cauldron at 702406b, cauldron-infra/): what its own templates
//! do that the catalog's data does not express. Its Secret cauldron-secrets (templates/
//! secret.yaml: the passwords of the Bitnami PostgreSQL and of TimescaleDB, RabbitMQ's user and
//! password), rendered whatever the switches. The rest of its own objects (the TimescaleDB,
//! Qdrant and three Redis Deployments, their Services with fixed names, the two claims, the
//! init-scripts ConfigMap) are the catalog's `render` facts.

use super::{ChartModule, Ctx};

pub(super) struct CauldronInfra;

impl ChartModule for CauldronInfra {
    /// templates/secret.yaml: each key the `b64enc` of a value (empty when absent).
    fn secrets(&self, ctx: &Ctx) -> Vec<(String, Vec<(&'static str, String)>)> {
        let keys = [
            ("db-root-password", "postgresql.auth.password"),
            ("timescale-password", "timescaledb.auth.password"),
            ("rabbitmq-user", "rabbitmq.auth.username"),
            ("rabbitmq-password", "rabbitmq.auth.password"),
        ];
        vec![(
            "cauldron-secrets".into(),
            keys.iter()
                .map(|(k, path)| (*k, ctx.text(*path).unwrap_or_default()))
                .collect(),
        )]
    }

    fn secrets_in_data(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Service;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use serde_yaml::Value;

    use super::super::{inline_list, render, Manifest};
    use crate::catalog::Catalog;
    use crate::config::Configuration;

    fn rendered(sets: &[&str]) -> Vec<Manifest> {
        let cat = Catalog::builtin();
        let mut c = Configuration::new(cat, &["cauldron-infra"], "dev").unwrap();
        for s in sets {
            c.set_str(cat, s).unwrap();
        }
        render(cat, &c)
    }

    fn typed<T: serde::de::DeserializeOwned>(ms: &[Manifest], kind: &str, name: &str) -> T {
        let m = ms
            .iter()
            .find(|m| m.kind == kind && m.name == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"));
        serde_yaml::from_str(&m.yaml).unwrap()
    }

    #[test]
    fn a_list_printed_inline_is_one_string_split_at_commas() {
        let list: Value =
            serde_yaml::from_str("[redis-server, --save, '', --maxmemory, 256mb]").unwrap();
        assert_eq!(
            inline_list(&list),
            ["redis-server --save  --maxmemory 256mb"]
        );
        let commas: Value = serde_yaml::from_str("['a,b', c]").unwrap();
        assert_eq!(inline_list(&commas), ["a", "b c"]);
        assert_eq!(inline_list(&Value::from("redis-server")), ["redis-server"]);
    }

    #[test]
    fn services_have_the_templates_names_ports_and_numeric_target_ports() {
        let ms = rendered(&[
            "timescaledb.service.port=6543",
            "qdrant.service.ports.grpc=7334",
        ]);
        let ts: Service = typed(&ms, "Service", "timescaledb");
        let port = &ts.spec.unwrap().ports.unwrap()[0];
        assert_eq!(
            (port.port, port.target_port.clone()),
            (6543, Some(IntOrString::Int(5432)))
        );
        let q: Service = typed(&ms, "Service", "qdrant");
        let ports: Vec<(i32, Option<IntOrString>)> = q
            .spec
            .unwrap()
            .ports
            .unwrap()
            .into_iter()
            .map(|p| (p.port, p.target_port))
            .collect();
        assert_eq!(
            ports,
            [
                (6333, Some(IntOrString::Int(6333))),
                (7334, Some(IntOrString::Int(6334)))
            ]
        );
        for name in ["redis-cache", "redis-queue", "redis-socketio"] {
            let _: Service = typed(&ms, "Service", name);
            let d: Deployment = typed(&ms, "Deployment", &format!("cauldron-infra-{name}"));
            let c = &d.spec.template.spec.unwrap().containers[0];
            assert_eq!(c.command.as_ref().map(Vec::len), Some(1), "{name}");
            assert_eq!(c.args, None);
        }
        assert!(!ms
            .iter()
            .any(|m| m.name == "cauldron-infra-timescaledb" && m.kind == "Service"));
    }
}
