//! HorizontalPodAutoscalers: a workload's, as the plan reads its autoscaling values.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};

use super::components::{i32_of, Hpa, Work};
use super::context::Ctx;
use super::labels::meta;
use super::output::Sink;

/// An autoscaler's target: average utilization of a resource (`cpu`, `memory`) in percent.
pub(super) fn utilization_metric(name: &str, pct: i64) -> MetricSpec {
    MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: name.into(),
            target: MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(i32_of(pct)),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

pub(super) fn hpa(ctx: &Ctx, sink: &mut Sink, w: &Work, h: Hpa) {
    let metric = utilization_metric;
    let mut metrics = Vec::new();
    if let Some(p) = h.cpu {
        metrics.push(metric("cpu", p));
    }
    if let Some(p) = h.memory {
        metrics.push(metric("memory", p));
    }
    // RAE's Celery worker HPA (templates/hpa-celery-worker.yaml): scale down 50% per 60s after
    // 300s of stabilization; scale up by the larger of 100% and 2 pods per 30s (selectPolicy
    // Max; the guide says "max 2 pods at once").
    let behavior = (ctx.chart.id == "rae-memory" && w.c.id == "celery-worker").then(|| {
        let policy = |type_: &str, value: i32, period: i32| HPAScalingPolicy {
            type_: type_.into(),
            value,
            period_seconds: period,
        };
        HorizontalPodAutoscalerBehavior {
            scale_up: Some(HPAScalingRules {
                stabilization_window_seconds: Some(0),
                policies: Some(vec![policy("Percent", 100, 30), policy("Pods", 2, 30)]),
                select_policy: Some("Max".into()),
                ..Default::default()
            }),
            scale_down: Some(HPAScalingRules {
                stabilization_window_seconds: Some(300),
                policies: Some(vec![policy("Percent", 50, 60)]),
                ..Default::default()
            }),
        }
    });
    // The manifests' own HPA name where they have one (Caracal's caracal-gateway-hpa).
    let name =
        w.c.hpa
            .as_ref()
            .map_or(w.name.as_str(), |h| h.name.as_str());
    let obj = HorizontalPodAutoscaler {
        metadata: meta(ctx, name, Some(&w.c.id)),
        spec: HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: w.c.kind.as_str().into(),
                name: w.name.clone(),
            },
            min_replicas: Some(i32_of(h.min)),
            max_replicas: i32_of(h.max),
            metrics: (!metrics.is_empty()).then_some(metrics),
            behavior,
        },
        ..Default::default()
    };
    sink.push("HorizontalPodAutoscaler", name, obj);
}
