//! Compute: what follows from a configuration. The resource plan, node fit and cost, the
//! review's findings, the comparison of two plans and the architecture diagram.

pub mod capacity;
pub mod compare;
pub mod diagram;
pub mod diagram_layout;
pub mod plan;
pub mod review;
