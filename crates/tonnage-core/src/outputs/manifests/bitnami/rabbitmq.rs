//! Bitnami rabbitmq (not yet).

use super::Sub;
use crate::outputs::manifests::{Sink, Work};

pub(super) fn render(_sub: &Sub, _sink: &mut Sink, _works: &[&Work]) {}
