//! Objects straight to the block YAML [`super::to_yaml`] writes, without first building a
//! `serde_yaml::Value` (which hashes every key into an `IndexMap` and owns every field name):
//! the same text for a fraction of the allocations. Rendering every object of every preset is
//! on the hot path of the page's Files preview and of the CLI.
//!
//! [`Node`] mirrors what `serde_yaml::to_value` builds (its `Serializer` in
//! `serde_yaml::value::ser`, 0.9): numbers as `serde_yaml::Number`, `None` and units as null, a
//! unit variant as its name, a newtype/tuple/struct variant as a tagged value, bytes as a list
//! of numbers, a repeated map key replacing the earlier value in place; maps keep serialization
//! order. Tagged values and maps used as keys are rare enough to be written through the
//! `serde_yaml::Value` path. Under `cfg(test)` every rendered object is also written the old way
//! and compared (see `Sink::push`).

use std::borrow::Cow;
use std::fmt;

use serde::ser::{self, Serialize};
use serde_yaml::{Mapping, Number, Value};

use super::literal_block;
use crate::bundle::{push_string, push_yaml_trimmed};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'static, str>),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Tagged(String, Box<Node>),
}

impl Node {
    /// The `serde_yaml::Value` that `serde_yaml::to_value` would have built.
    fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Num(n) => Value::Number(n.clone()),
            Node::Str(s) => Value::String(s.to_string()),
            Node::Seq(s) => Value::Sequence(s.iter().map(Node::to_value).collect()),
            Node::Map(m) => {
                let mut out = Mapping::new();
                for (k, v) in m {
                    out.insert(k.to_value(), v.to_value());
                }
                Value::Mapping(out)
            }
            Node::Tagged(tag, v) => Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
                tag: serde_yaml::value::Tag::new(tag.as_str()),
                value: v.to_value(),
            })),
        }
    }
}

/// `obj` as [`super::to_yaml`] of `serde_yaml::to_value(obj)` writes it; errors where
/// `to_value` fails.
pub(super) fn to_yaml<T: Serialize + ?Sized>(obj: &T) -> Result<String, Error> {
    let node = obj.serialize(NodeSer)?;
    let mut out = String::new();
    match &node {
        Node::Map(m) if !m.is_empty() => yaml_map(m, 0, false, &mut out),
        Node::Seq(s) if !s.is_empty() => yaml_seq(s, 0, &mut out),
        other => {
            scalar(other, &mut out);
            out.push('\n');
        }
    }
    Ok(out)
}

use super::indent;

/// `manifests::yaml_scalar`: a scalar in place; anything else through the `Value` writer.
fn scalar(v: &Node, out: &mut String) {
    match v {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Num(n) => {
            use std::fmt::Write;
            let _ = write!(out, "{n}");
        }
        Node::Str(s) => push_string(out, s),
        Node::Map(m) if m.is_empty() => out.push_str("{}"),
        Node::Seq(s) if s.is_empty() => out.push_str("[]"),
        other => push_yaml_trimmed(out, &other.to_value()),
    }
}

fn yaml_value(v: &Node, ind: usize, out: &mut String) {
    match v {
        Node::Map(c) if !c.is_empty() => {
            out.push('\n');
            yaml_map(c, ind + 2, false, out);
        }
        Node::Seq(s) if !s.is_empty() => {
            out.push('\n');
            yaml_seq(s, ind + 2, out);
        }
        Node::Str(s) => match literal_block(s, ind + 2) {
            Some(block) => {
                out.push(' ');
                out.push_str(&block);
            }
            None => {
                out.push(' ');
                scalar(v, out);
                out.push('\n');
            }
        },
        other => {
            out.push(' ');
            scalar(other, out);
            out.push('\n');
        }
    }
}

fn yaml_map(m: &[(Node, Node)], ind: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, ind);
        }
        scalar(k, out);
        out.push(':');
        yaml_value(v, ind, out);
    }
}

fn yaml_seq(s: &[Node], ind: usize, out: &mut String) {
    for item in s {
        indent(out, ind);
        out.push('-');
        match item {
            Node::Map(m) if !m.is_empty() => {
                out.push(' ');
                yaml_map(m, ind + 2, true, out);
            }
            other => yaml_value(other, ind, out),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The serializer

#[derive(Debug)]
pub(super) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn empty_tag() -> Error {
    Error("empty YAML tag is not allowed".into())
}

/// A map entry, as `IndexMap::insert` does it: a repeated key replaces the value in place.
fn insert(map: &mut Vec<(Node, Node)>, key: Node, value: Node) {
    match map.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => map.push((key, value)),
    }
}

struct NodeSer;

impl ser::Serializer for NodeSer {
    type Ok = Node;
    type Error = Error;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = SeqSer;
    type SerializeMap = MapSer;
    type SerializeStruct = StructSer;
    type SerializeStructVariant = StructSer;

    fn serialize_bool(self, v: bool) -> Result<Node, Error> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Node, Error> {
        Ok(if let Ok(v) = u64::try_from(v) {
            Node::Num(v.into())
        } else if let Ok(v) = i64::try_from(v) {
            Node::Num(v.into())
        } else {
            Node::Str(v.to_string().into())
        })
    }
    fn serialize_u8(self, v: u8) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Node, Error> {
        Ok(match u64::try_from(v) {
            Ok(v) => Node::Num(v.into()),
            Err(_) => Node::Str(v.to_string().into()),
        })
    }
    fn serialize_f32(self, v: f32) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Node, Error> {
        Ok(Node::Num(v.into()))
    }
    fn serialize_char(self, v: char) -> Result<Node, Error> {
        Ok(Node::Str(v.to_string().into()))
    }
    fn serialize_str(self, v: &str) -> Result<Node, Error> {
        Ok(Node::Str(v.to_owned().into()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Node, Error> {
        Ok(Node::Seq(
            v.iter().map(|b| Node::Num((*b).into())).collect(),
        ))
    }
    fn serialize_none(self) -> Result<Node, Error> {
        Ok(Node::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Node, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node, Error> {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Node, Error> {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Node, Error> {
        Ok(Node::Str(variant.into()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Node, Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Node, Error> {
        if variant.is_empty() {
            return Err(empty_tag());
        }
        Ok(Node::Tagged(
            variant.to_string(),
            Box::new(v.serialize(NodeSer)?),
        ))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, Error> {
        Ok(SeqSer {
            tag: None,
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqSer, Error> {
        if variant.is_empty() {
            return Err(empty_tag());
        }
        Ok(SeqSer {
            tag: Some(variant),
            items: Vec::with_capacity(len),
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapSer, Error> {
        Ok(MapSer {
            entries: Vec::new(),
            next_key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<StructSer, Error> {
        Ok(StructSer {
            tag: None,
            fields: Vec::with_capacity(len),
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructSer, Error> {
        if variant.is_empty() {
            return Err(empty_tag());
        }
        Ok(StructSer {
            tag: Some(variant),
            fields: Vec::with_capacity(len),
        })
    }
    // `serialize_str` of the text, like serde's default: map keys written with `collect_str`
    // that `serde_yaml` would read as tags (`!tag`) never occur in Kubernetes objects.
}

struct SeqSer {
    tag: Option<&'static str>,
    items: Vec<Node>,
}

impl SeqSer {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.items.push(v.serialize(NodeSer)?);
        Ok(())
    }
    fn done(self) -> Node {
        match self.tag {
            Some(tag) => Node::Tagged(tag.to_string(), Box::new(Node::Seq(self.items))),
            None => Node::Seq(self.items),
        }
    }
}

impl ser::SerializeSeq for SeqSer {
    type Ok = Node;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Node, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeTuple for SeqSer {
    type Ok = Node;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Node, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeTupleStruct for SeqSer {
    type Ok = Node;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Node, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeTupleVariant for SeqSer {
    type Ok = Node;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Node, Error> {
        Ok(self.done())
    }
}

struct MapSer {
    entries: Vec<(Node, Node)>,
    next_key: Option<Node>,
}

impl ser::SerializeMap for MapSer {
    type Ok = Node;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        self.next_key = Some(k.serialize(NodeSer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| Error("serialize_value called before serialize_key".into()))?;
        let value = v.serialize(NodeSer)?;
        insert(&mut self.entries, key, value);
        Ok(())
    }
    fn end(self) -> Result<Node, Error> {
        Ok(Node::Map(self.entries))
    }
}

struct StructSer {
    tag: Option<&'static str>,
    fields: Vec<(Node, Node)>,
}

impl StructSer {
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), Error> {
        let value = v.serialize(NodeSer)?;
        insert(&mut self.fields, Node::Str(Cow::Borrowed(key)), value);
        Ok(())
    }
    fn done(self) -> Node {
        match self.tag {
            Some(tag) => Node::Tagged(tag.to_string(), Box::new(Node::Map(self.fields))),
            None => Node::Map(self.fields),
        }
    }
}

impl ser::SerializeStruct for StructSer {
    type Ok = Node;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key, v)
    }
    fn end(self) -> Result<Node, Error> {
        Ok(self.done())
    }
}

impl ser::SerializeStructVariant for StructSer {
    type Ok = Node;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key, v)
    }
    fn end(self) -> Result<Node, Error> {
        Ok(self.done())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    enum E {
        Unit,
        New(i32),
        Tuple(i32, String),
        Struct { a: bool },
    }

    #[derive(serde::Serialize)]
    struct S {
        name: String,
        n: Option<u64>,
        big: i128,
        f: f64,
        list: Vec<E>,
        empty: Vec<u8>,
        map: BTreeMap<String, String>,
        script: String,
        word: String,
    }

    /// The same text as the `serde_yaml::Value` path, on every kind of value serde has.
    #[test]
    fn writes_what_the_value_path_writes() {
        let s = S {
            name: "x".into(),
            n: None,
            big: i128::MAX,
            f: 1.5,
            list: vec![
                E::Unit,
                E::New(3),
                E::Tuple(1, "on".into()),
                E::Struct { a: true },
            ],
            empty: vec![],
            map: [("a.b/c".to_string(), "yes".to_string())].into(),
            script: "#!/bin/sh\necho hi\n".into(),
            word: "001".into(),
        };
        let old = super::super::to_yaml(&serde_yaml::to_value(&s).unwrap());
        assert_eq!(to_yaml(&s).unwrap(), old);
        for v in [
            serde_yaml::to_value(E::New(1)).unwrap(),
            serde_yaml::to_value(E::Unit).unwrap(),
        ] {
            let node = match &v {
                Value::Tagged(_) => to_yaml(&E::New(1)).unwrap(),
                _ => to_yaml(&E::Unit).unwrap(),
            };
            assert_eq!(node, super::super::to_yaml(&v));
        }
    }
}
