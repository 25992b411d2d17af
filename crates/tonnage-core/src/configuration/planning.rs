//! The planning choices as a user makes them on a configuration's options: a cloud, a node
//! type. What each option means is the option registry's ([`crate::model::options`]); this is
//! what choosing one does to the others, the same for the page's pickers and a review fix.

use crate::base::quantity::Quantity;
use crate::configuration::config::Configuration;
use crate::model::cloud::{instance_type, Cloud, NodeSpec};
use crate::model::options::{NODE_KEYS, NODE_SHAPE_KEYS};

impl Configuration {
    /// Choose the cloud to fit on, or none. No cloud clears every node option
    /// ([`NODE_KEYS`]); a cloud drops a built-in node type of another cloud.
    pub fn choose_cloud(&mut self, cloud: Option<Cloud>) {
        let o = &mut self.options;
        match cloud {
            None => {
                for k in NODE_KEYS {
                    o.remove(k);
                }
            }
            Some(c) => {
                o.insert("cloud".into(), c.as_str().into());
                let other_cloud = o
                    .get("node_type")
                    .and_then(|t| instance_type(t.trim()))
                    .is_some_and(|t| t.cloud != c);
                if other_cloud {
                    o.remove("node_type");
                }
            }
        }
    }

    /// Choose the node type. `custom` starts from `current` (the node planned now), so nothing
    /// jumps; a built-in type clears a custom shape ([`NODE_SHAPE_KEYS`]) and sets its cloud.
    pub fn choose_node_type(&mut self, name: &str, current: Option<&NodeSpec>) {
        let o = &mut self.options;
        if name == "custom" {
            if let Some(n) = current {
                let fill = [
                    (
                        "node.vcpu",
                        Quantity::from_millis(n.vcpu_millicores).to_string(),
                    ),
                    (
                        "node.memory",
                        Quantity::from_bytes(n.memory_bytes).to_string(),
                    ),
                    ("node.max_pods", n.max_pods.to_string()),
                ];
                for (k, v) in fill {
                    o.entry(k.to_string()).or_insert(v);
                }
            }
        } else {
            for k in NODE_SHAPE_KEYS {
                o.remove(k);
            }
            if let Some(t) = instance_type(name) {
                o.insert("cloud".into(), t.cloud.as_str().into());
            }
        }
        o.insert("node_type".into(), name.to_string());
    }

    /// Set or, with an empty value, remove a planning option as a review fix gives it; a node
    /// type clears a custom shape, as choosing it does.
    pub fn set_fix_option(&mut self, key: &str, value: &str) {
        if key == "node_type" {
            for s in NODE_SHAPE_KEYS {
                self.options.remove(s);
            }
        }
        if value.is_empty() {
            self.options.remove(key);
        } else {
            self.options.insert(key.to_string(), value.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Catalog;

    fn config() -> Configuration {
        Configuration::new(Catalog::builtin(), &["rhesis"], "prod").unwrap()
    }

    #[test]
    fn a_built_in_type_sets_its_cloud_and_clears_a_custom_shape() {
        let mut c = config();
        c.options.insert("node.vcpu".into(), "8".into());
        c.options.insert("daemonset.cpu".into(), "200m".into());
        c.choose_node_type("m5.xlarge", None);
        assert_eq!(c.options.get("cloud").map(String::as_str), Some("eks"));
        assert_eq!(
            c.options.get("node_type").map(String::as_str),
            Some("m5.xlarge")
        );
        assert!(!c.options.contains_key("node.vcpu"));
        assert!(
            c.options.contains_key("daemonset.cpu"),
            "not part of the shape"
        );
    }

    #[test]
    fn custom_starts_from_the_current_node_and_keeps_what_the_user_typed() {
        let mut c = config();
        let node = NodeSpec::of_type(instance_type("e2-standard-4").unwrap());
        c.options.insert("node.memory".into(), "20Gi".into());
        c.choose_node_type("custom", Some(&node));
        assert_eq!(c.options["node.vcpu"], "4");
        assert_eq!(c.options["node.memory"], "20Gi");
        assert_eq!(c.options["node.max_pods"], node.max_pods.to_string());
        assert_eq!(c.options["node_type"], "custom");
    }

    #[test]
    fn another_cloud_drops_the_type_and_no_cloud_clears_the_node() {
        let mut c = config();
        c.choose_node_type("m5.xlarge", None);
        c.options.insert("users".into(), "500".into());
        c.choose_cloud(Some(Cloud::Eks));
        assert_eq!(c.options["node_type"], "m5.xlarge", "same cloud: kept");
        c.choose_cloud(Some(Cloud::Gke));
        assert!(!c.options.contains_key("node_type"));
        assert_eq!(c.options["cloud"], "gke");
        c.choose_cloud(None);
        assert!(!c.options.contains_key("cloud"));
        assert_eq!(c.options["users"], "500", "not a node option");
    }

    #[test]
    fn a_fix_option_sets_removes_and_clears_the_shape() {
        let mut c = config();
        c.options.insert("node.vcpu".into(), "8".into());
        c.set_fix_option("node_type", "e2-standard-8");
        assert!(!c.options.contains_key("node.vcpu"));
        assert_eq!(c.options["node_type"], "e2-standard-8");
        c.set_fix_option("node_type", "");
        assert!(!c.options.contains_key("node_type"));
    }
}
