//! cauldron-infra (seemslegit42/cauldron at 702406b, cauldron-infra/): what its own templates
//! do that the catalog's data does not express. Its Secret cauldron-secrets (templates/
//! secret.yaml: the passwords of the Bitnami PostgreSQL and of TimescaleDB, RabbitMQ's user and
//! password), rendered whatever the switches. The rest of its own objects (the TimescaleDB,
//! Qdrant and three Redis Deployments, their Services with fixed names, the two claims, the
//! init-scripts ConfigMap) are the catalog's `render` facts.

use super::{ChartModule, Ctx, PLACEHOLDER};

pub(super) struct CauldronInfra;

impl ChartModule for CauldronInfra {
    fn secrets(&self, _ctx: &Ctx) -> Vec<(String, Vec<(&'static str, String)>)> {
        let keys = [
            "db-root-password",
            "timescale-password",
            "rabbitmq-user",
            "rabbitmq-password",
        ];
        vec![(
            "cauldron-secrets".into(),
            keys.iter().map(|k| (*k, PLACEHOLDER.to_string())).collect(),
        )]
    }
}
