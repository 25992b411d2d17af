//! Serde objects straight to the text [`super::to_yaml_blocks`] writes for their
//! `serde_yaml::Value`, without first building that value (which hashes every key into an
//! `IndexMap` and owns every field name). Rendering every object of every preset is on the hot
//! path of the page's Files preview and of the CLI.
//!
//! [`Direct`], a serde `Serializer`, writes the text as the object serializes, building nothing:
//! each value knows from its position (the document, after `key:`, after `- `) how it is laid
//! out, and a map or list writes its line break (or `{}` / `[]` when it turns out empty) when its
//! first entry (or its end) comes. Scalars, strings and literal blocks are written by the
//! functions of [`super`], so both paths share every rule of the text. It declines, with an
//! error, what is rare in Kubernetes objects and needs the whole value first: tagged values (enum
//! variants with data), a map or list used as a key, a repeated key (which replaces the earlier
//! value), bytes and integers beyond 64 bits; [`Writer::append`] then writes those through
//! `serde_yaml::to_value` and [`super::to_yaml_blocks`].
//!
//! Under `cfg(test)` every rendered manifest is also written the `serde_yaml::Value` way and
//! compared (see `Sink::push` in the manifests), and the tests below compare both paths on
//! generated trees.

use std::fmt;

use serde::ser::{self, Serialize};
use serde_yaml::Number;

use super::{
    indent, plain_ok, push_double_quoted, push_literal_block, push_string, to_yaml_blocks,
};

/// `obj` as [`super::to_yaml_blocks`] of `serde_yaml::to_value(obj)` writes it; errors where
/// `to_value` fails.
#[cfg(test)]
pub(crate) fn to_yaml<T: Serialize + ?Sized>(obj: &T) -> Result<String, Error> {
    let mut w = Writer::default();
    let range = w.append(obj)?;
    Ok(w.texts()[range].to_string())
}

/// Writes objects one after the other into one text: no allocation per object (the callers
/// copy each object's text out at its size once all are written, so the allocator sees one
/// run of large allocations rather than one between the small ones of every object).
#[derive(Default)]
pub struct Writer {
    st: State,
}

impl Writer {
    /// Appends `obj` as [`to_yaml`] writes it, returning where its text is in
    /// [`Self::texts`]; errors (and appends nothing) where `to_yaml` fails.
    pub fn append<T: Serialize + ?Sized>(
        &mut self,
        obj: &T,
    ) -> Result<std::ops::Range<usize>, Error> {
        let start = self.st.out.len();
        self.st.keys.clear();
        let direct = obj.serialize(Direct {
            st: &mut self.st,
            pos: Pos::Top,
        });
        if direct.is_err() {
            self.st.out.truncate(start);
            let text = tree_to_yaml(obj)?;
            self.st.out.push_str(&text);
        }
        Ok(start..self.st.out.len())
    }

    /// Everything written so far.
    pub fn texts(&self) -> &str {
        &self.st.out
    }
}

/// The text [`Direct`] writes; `None` where it declines (or the object fails to serialize).
#[cfg(test)]
fn direct<T: Serialize + ?Sized>(obj: &T) -> Option<String> {
    let mut st = State::default();
    obj.serialize(Direct {
        st: &mut st,
        pos: Pos::Top,
    })
    .ok()?;
    Some(st.out)
}

/// [`to_yaml`] through a `serde_yaml::Value`, for what [`Direct`] declines.
fn tree_to_yaml<T: Serialize + ?Sized>(obj: &T) -> Result<String, Error> {
    let v = serde_yaml::to_value(obj).map_err(|e| Error(e.to_string()))?;
    Ok(to_yaml_blocks(&v))
}

// ---------------------------------------------------------------------------------------------
// The serializer

#[derive(Debug)]
pub struct Error(String);

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

// ---------------------------------------------------------------------------------------------
// The direct writer

/// The text being written, and the spans of the keys of the maps being written (each map's
/// keys after those of the maps around it), to notice a repeated key.
#[derive(Default)]
struct State {
    out: String,
    keys: Vec<(usize, usize)>,
    /// Struct field names by the address of their `&'static str` (and length), with whether
    /// each is written plain ([`plain_ok`]): the same names come back in every object, and a
    /// static text never changes. One slot an address, the last name there.
    fields: Vec<(usize, usize, bool)>,
}

impl State {
    const FIELD_SLOTS: usize = 256;

    /// [`plain_ok`] of a struct's field name.
    fn plain_field(&mut self, name: &'static str) -> bool {
        if self.fields.is_empty() {
            self.fields.resize(Self::FIELD_SLOTS, (0, 0, false));
        }
        let addr = name.as_ptr() as usize;
        let slot = &mut self.fields[(addr ^ addr >> 8) % Self::FIELD_SLOTS];
        if slot.0 == addr && slot.1 == name.len() {
            return slot.2;
        }
        let plain = plain_ok(name);
        *slot = (addr, name.len(), plain);
        plain
    }
}

/// Where a value goes, which decides its layout (as [`super::to_yaml_blocks`] lays out a
/// value).
#[derive(Clone, Copy)]
enum Pos {
    /// The whole document.
    Top,
    /// After the `key:` of a map entry at this indentation.
    MapValue(usize),
    /// After the `-` of a list item at this indentation.
    SeqItem(usize),
}

impl Pos {
    /// The indentation of the entries of a map or list written here.
    fn inner(self) -> usize {
        match self {
            Pos::Top => 0,
            Pos::MapValue(ind) | Pos::SeqItem(ind) => ind + 2,
        }
    }
}

/// Why [`Direct`] declines a value: [`Writer::append`] then writes it through a
/// `serde_yaml::Value`.
fn declined() -> Error {
    Error("written through the tree".into())
}

/// Writes one value at `pos` (see the module documentation).
struct Direct<'s> {
    st: &'s mut State,
    pos: Pos,
}

impl<'s> Direct<'s> {
    /// A scalar's text, `write` appending it: alone on the document's line, else after a space.
    fn scalar(self, write: impl FnOnce(&mut String)) -> Result<(), Error> {
        let out = &mut self.st.out;
        if !matches!(self.pos, Pos::Top) {
            out.push(' ');
        }
        write(out);
        out.push('\n');
        Ok(())
    }

    fn number(self, n: Number) -> Result<(), Error> {
        self.scalar(|out| {
            use std::fmt::Write;
            let _ = write!(out, "{n}");
        })
    }

    fn map(self) -> DirectMap<'s> {
        DirectMap {
            keys_from: self.st.keys.len(),
            ind: self.pos.inner(),
            st: self.st,
            pos: self.pos,
            n: 0,
        }
    }

    fn seq(self) -> DirectSeq<'s> {
        DirectSeq {
            ind: self.pos.inner(),
            st: self.st,
            pos: self.pos,
            n: 0,
        }
    }
}

impl<'s> ser::Serializer for Direct<'s> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = DirectSeq<'s>;
    type SerializeTuple = DirectSeq<'s>;
    type SerializeTupleStruct = DirectSeq<'s>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = DirectMap<'s>;
    type SerializeStruct = DirectMap<'s>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(|out| out.push_str(if v { "true" } else { "false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        match self.pos {
            Pos::Top => self.scalar(|out| push_string(out, v)),
            Pos::MapValue(ind) | Pos::SeqItem(ind) => {
                let out = &mut self.st.out;
                out.push(' ');
                // A plain scalar holds no line break: it is never a literal block.
                if plain_ok(v) {
                    out.push_str(v);
                    out.push('\n');
                } else if !push_literal_block(out, v, ind + 2) {
                    push_double_quoted(out, v);
                    out.push('\n');
                }
                Ok(())
            }
        }
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(declined())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar(|out| out.push_str("null"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(declined())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<DirectSeq<'s>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple(self, _: usize) -> Result<DirectSeq<'s>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<DirectSeq<'s>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(declined())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<DirectMap<'s>, Error> {
        Ok(self.map())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<DirectMap<'s>, Error> {
        Ok(self.map())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(declined())
    }
}

/// A map or struct being written: its entries at `ind` spaces.
struct DirectMap<'s> {
    st: &'s mut State,
    pos: Pos,
    ind: usize,
    /// Entries so far.
    n: usize,
    /// Where this map's keys start in `st.keys`.
    keys_from: usize,
}

impl DirectMap<'_> {
    /// The line break (or the space after `- `) before the first entry, the indentation, the
    /// key and its colon; declined for a key this map already has.
    fn key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<(), Error> {
        self.entry_start();
        let out = &mut self.st.out;
        let start = out.len();
        key.serialize(KeyWriter { out: &mut *out })?;
        // A key's text is its value's alone (see `push_string`), so the same text is the same
        // key: the tree replaces the earlier entry's value, which this writer cannot.
        let (out, end) = (self.st.out.as_bytes(), self.st.out.len());
        let (len, last) = (end - start, out[end - 1]);
        if self.st.keys[self.keys_from..]
            .iter()
            .any(|&(a, b)| b - a == len && out[b - 1] == last && out[a..b] == out[start..end])
        {
            return Err(declined());
        }
        self.st.keys.push((start, end));
        self.st.out.push(':');
        self.n += 1;
        Ok(())
    }

    /// The line break (or the space after `- `) before the first entry, the indentation.
    fn entry_start(&mut self) {
        let out = &mut self.st.out;
        if self.n == 0 {
            match self.pos {
                Pos::Top => {}
                Pos::MapValue(_) => out.push('\n'),
                // The first entry continues the `- ` line.
                Pos::SeqItem(_) => {
                    out.push(' ');
                    return;
                }
            }
        }
        indent(out, self.ind);
    }

    /// [`DirectMap::key`] of a struct's field: a name distinct from the others, whose
    /// plainness [`State::plain_field`] keeps.
    fn field_key(&mut self, name: &'static str) {
        self.entry_start();
        let plain = self.st.plain_field(name);
        let out = &mut self.st.out;
        if plain {
            out.push_str(name);
        } else {
            push_double_quoted(out, name);
        }
        out.push(':');
        self.n += 1;
    }

    fn value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(Direct {
            st: &mut *self.st,
            pos: Pos::MapValue(self.ind),
        })
    }

    fn done(self) -> Result<(), Error> {
        if self.n == 0 {
            let out = &mut self.st.out;
            out.push_str(if matches!(self.pos, Pos::Top) {
                "{}\n"
            } else {
                " {}\n"
            });
        }
        self.st.keys.truncate(self.keys_from);
        Ok(())
    }
}

impl ser::SerializeMap for DirectMap<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        self.key(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.value(v)
    }
    fn end(self) -> Result<(), Error> {
        self.done()
    }
}

impl ser::SerializeStruct for DirectMap<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        // A struct's fields are distinct names.
        self.field_key(key);
        self.value(v)
    }
    fn end(self) -> Result<(), Error> {
        self.done()
    }
}

/// A list being written: its items at `ind` spaces.
struct DirectSeq<'s> {
    st: &'s mut State,
    pos: Pos,
    ind: usize,
    n: usize,
}

impl DirectSeq<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let out = &mut self.st.out;
        if self.n == 0 && !matches!(self.pos, Pos::Top) {
            out.push('\n');
        }
        indent(out, self.ind);
        out.push('-');
        self.n += 1;
        v.serialize(Direct {
            st: &mut *self.st,
            pos: Pos::SeqItem(self.ind),
        })
    }

    fn done(self) -> Result<(), Error> {
        if self.n == 0 {
            let out = &mut self.st.out;
            out.push_str(if matches!(self.pos, Pos::Top) {
                "[]\n"
            } else {
                " []\n"
            });
        }
        Ok(())
    }
}

impl ser::SerializeSeq for DirectSeq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.done()
    }
}

impl ser::SerializeTuple for DirectSeq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.done()
    }
}

impl ser::SerializeTupleStruct for DirectSeq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.done()
    }
}

/// Writes a map key: a scalar as [`super::to_yaml_blocks`] writes a key; declines anything else.
struct KeyWriter<'o> {
    out: &'o mut String,
}

impl KeyWriter<'_> {
    fn number(self, n: Number) -> Result<(), Error> {
        use std::fmt::Write;
        let _ = write!(self.out, "{n}");
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.number(v.into())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        push_string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(declined())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(declined())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(declined())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(declined())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(declined())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(declined())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(declined())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(declined())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(declined())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_yaml::{Mapping, Value};
    use std::collections::BTreeMap;

    /// What the `serde_yaml::Value` path writes.
    fn value_path<T: Serialize>(obj: &T) -> String {
        to_yaml_blocks(&serde_yaml::to_value(obj).unwrap())
    }

    /// Trees of every shape the writers lay out differently: empty and non-empty maps and
    /// lists in every position, lists of lists, multi-line strings (literal blocks, or quoted
    /// where a block would not read back), words YAML 1.1 reads as something else, and keys
    /// that are numbers, booleans or null.
    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6).prop_map(Value::from),
            "[ -~\\n\\t]{0,12}".prop_map(Value::from),
            prop::sample::select(vec![
                "yes",
                "on",
                "0x1F",
                "1e5",
                "~",
                "-",
                "? x",
                "a: b",
                "a\nb\n",
                "a\nb",
                " a\nb",
                "a\n\n",
                "#!/bin/sh\n  set -e\n\nexit 0\n",
                "x\r\ny",
                "",
            ])
            .prop_map(Value::from),
            Just(Value::Mapping(Mapping::new())),
            Just(Value::Sequence(Vec::new())),
        ];
        let key = prop_oneof![
            "[ -~]{0,8}".prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(5, 64, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
                prop::collection::vec((key.clone(), inner), 0..5)
                    .prop_map(|kv| Value::Mapping(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The direct writer takes every such tree, and writes what the tree and the
        /// `serde_yaml::Value` path write.
        #[test]
        fn direct_writes_what_the_value_path_writes(v in tree()) {
            let want = to_yaml_blocks(&v);
            prop_assert_eq!(direct(&v), Some(want.clone()));
            prop_assert_eq!(tree_to_yaml(&v).unwrap(), want);
        }
    }

    /// The literal block as first written: `None` where it would not read back.
    fn literal_block_by_char(s: &str, ind: usize) -> Option<String> {
        if !s.contains('\n') || s.ends_with("\n\n") || s.starts_with([' ', '\n']) {
            return None;
        }
        let ok = s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
            && !s.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '\r']);
        if !ok {
            return None;
        }
        let body = s.strip_suffix('\n');
        let mut out = String::from(if body.is_some() { "|\n" } else { "|-\n" });
        for line in body.unwrap_or(s).split('\n') {
            if !line.is_empty() {
                out.push_str(&" ".repeat(ind));
                out.push_str(line);
            }
            out.push('\n');
        }
        Some(out)
    }

    proptest! {
        /// Literal blocks are written, or declined, as the character-by-character rule did.
        #[test]
        fn literal_blocks_as_by_char(
            s in "[a \\n\\t\\r\\x00\\x7f\\u{85}\\u{2028}\\u{feff}é#:]{0,12}",
            ind in 0usize..6,
        ) {
            let mut out = String::from("x");
            let written = push_literal_block(&mut out, &s, ind);
            match literal_block_by_char(&s, ind) {
                Some(block) => prop_assert_eq!(out, format!("x{block}")),
                None => prop_assert!(!written && out == "x"),
            }
        }
    }

    /// A map that serializes one key twice, as no derived or k8s-openapi type does: the later
    /// value replaces the earlier in place.
    struct Repeated;

    impl Serialize for Repeated {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(None)?;
            m.serialize_entry("a", &1)?;
            m.serialize_entry("b", &BTreeMap::from([("c", 2), ("a", 3)]))?;
            m.serialize_entry("a", &[4])?;
            m.end()
        }
    }

    /// What the direct writer declines goes through the tree, with the same text.
    #[test]
    fn declined_values_go_through_the_tree() {
        assert_eq!(direct(&Repeated), None);
        assert_eq!(
            to_yaml(&Repeated).unwrap(),
            "a:\n  - 4\nb:\n  a: 3\n  c: 2\n"
        );
        assert_eq!(to_yaml(&Repeated).unwrap(), value_path(&Repeated));
        let list_key: Value = serde_yaml::from_str("? [1, 2]\n: x\n").unwrap();
        assert_eq!(direct(&list_key), None);
        assert_eq!(to_yaml(&list_key).unwrap(), value_path(&list_key));
        assert_eq!(direct(&E::New(1)), None);
        assert_eq!(direct(&vec![0u8; 2].as_slice()), Some("- 0\n- 0\n".into()));
        // A struct of plain fields is written directly.
        #[derive(serde::Serialize)]
        struct P {
            a: Option<i32>,
            b: Vec<Vec<String>>,
            c: BTreeMap<String, BTreeMap<String, ()>>,
        }
        let p = P {
            a: None,
            b: vec![vec![], vec!["x\ny\n".into(), "on".into()]],
            c: BTreeMap::from([("k".into(), BTreeMap::new())]),
        };
        assert_eq!(direct(&p), Some(value_path(&p)));
    }

    /// Field names YAML 1.1 reads as something else, or that hold an indicator, are quoted;
    /// a name seen before (its plainness remembered) is written as the first time.
    #[test]
    fn field_names_quoted_as_the_value_path_quotes_them() {
        #[derive(serde::Serialize)]
        struct Words {
            y: u8,
            on: bool,
            #[serde(rename = "a: b")]
            ab: u8,
            name: Vec<Words>,
        }
        let inner = Words {
            y: 1,
            on: false,
            ab: 2,
            name: vec![],
        };
        let w = Words {
            y: 0,
            on: true,
            ab: 3,
            name: vec![inner],
        };
        let want = value_path(&w);
        assert!(want.contains("\"y\": 0\n") && want.contains("  - \"y\": 1\n"));
        let mut writer = Writer::default();
        for _ in 0..2 {
            let range = writer.append(&w).unwrap();
            assert_eq!(&writer.texts()[range], want);
        }
    }

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
        let old = to_yaml_blocks(&serde_yaml::to_value(&s).unwrap());
        assert_eq!(to_yaml(&s).unwrap(), old);
        for v in [
            serde_yaml::to_value(E::New(1)).unwrap(),
            serde_yaml::to_value(E::Unit).unwrap(),
        ] {
            let node = match &v {
                Value::Tagged(_) => to_yaml(&E::New(1)).unwrap(),
                _ => to_yaml(&E::Unit).unwrap(),
            };
            assert_eq!(node, to_yaml_blocks(&v));
        }
    }
}
