//! The in-memory inverted index behind Scout's search: for every word key (see [`super::words`])
//! the contracts holding it, how often in each field and at which positions; for every
//! contract what the filters read, and its text (for the page's passages). A search is answered
//! from it without touching the database, which is what makes an uncached search cheap on both
//! databases alike (reading the page's texts back cost 40 % of a search's time, measured; the
//! texts are about half the index's memory).
//!
//! Invariants:
//! - A contract has at most one live slot. Changing it kills its slot and appends a new one,
//!   so each posting list stays sorted by slot with a push at its end; dead slots are dropped
//!   by [`Index::compact`] once they outnumber a third of the live ones.
//! - Positions are `field << FIELD_SHIFT | position`, sorted, so a phrase is words at
//!   consecutive positions of one field.
//! - The index knows nothing of versions or the database: `super::kept` decides what it holds.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::query::{Parsed, Term};
use super::words;

/// Fields in the order "found in" prefers them: company, description, line items, properties.
pub const FIELDS: usize = 4;

/// How much a match in each field counts: company names and descriptions above line items
/// above properties (the weights the FTS5 ranking used).
const WEIGHTS: [f32; FIELDS] = [10.0, 10.0, 4.0, 1.0];
/// BM25's term-frequency saturation and length normalisation.
const K1: f32 = 1.2;
const B: f32 = 0.75;

const FIELD_SHIFT: u32 = 28;
const POSITION_MASK: u32 = (1 << FIELD_SHIFT) - 1;

/// What the filters of a search read of a contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    pub visible: bool,
    pub archived: bool,
    pub expires: Option<NaiveDate>,
    pub contract_type: Option<i32>,
    pub department: Option<i32>,
    /// The controller number (`financial_id`).
    pub controller: Option<Box<str>>,
}

/// A contract as the index takes it: its text by field and its attributes.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub id: i32,
    pub text: [String; FIELDS],
    pub attrs: Attrs,
}

struct Slot {
    id: i32,
    attrs: Attrs,
    /// Words in each field.
    lens: [u32; FIELDS],
    /// The fields' text, one after another (empty once the slot is dead)…
    text: Box<str>,
    /// …each field ending at its byte offset here.
    ends: [u32; FIELDS],
    live: bool,
}

impl Slot {
    fn field(&self, field: usize) -> Option<&str> {
        let start = if field == 0 { 0 } else { *self.ends.get(field - 1)? as usize };
        self.text.get(start..*self.ends.get(field)? as usize)
    }
}

/// The contracts holding one word key, sorted by slot.
#[derive(Default)]
struct Postings {
    slots: Vec<u32>,
    /// Occurrences in each field (saturating: a word 255 times counts as often as more).
    tf: Vec<[u8; FIELDS]>,
    /// `positions[ends[i - 1]..ends[i]]` are posting `i`'s.
    ends: Vec<u32>,
    positions: Vec<u32>,
}

impl Postings {
    fn positions(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.positions[start..self.ends[i] as usize]
    }

    fn find(&self, slot: u32) -> Option<usize> {
        self.slots.binary_search(&slot).ok()
    }

    fn bytes(&self) -> usize {
        self.slots.capacity() * 4
            + self.tf.capacity() * FIELDS
            + self.ends.capacity() * 4
            + self.positions.capacity() * 4
    }
}

/// What a search asks besides its words.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Fields to look in (indexes into [`FIELDS`]); all when empty.
    pub fields: Vec<usize>,
    pub contract_type: Option<i32>,
    pub department: Option<i32>,
    pub include_archived: bool,
    /// Contracts that expired before this day are left out, unless `None`.
    pub expired_before: Option<NaiveDate>,
    /// Contracts already shown (an exact controller number).
    pub except: Vec<i32>,
}

impl Filter {
    fn mask(&self) -> [bool; FIELDS] {
        let mut mask = [self.fields.is_empty(); FIELDS];
        for f in &self.fields {
            if let Some(m) = mask.get_mut(*f) {
                *m = true;
            }
        }
        mask
    }

    fn admits(&self, slot: &Slot) -> bool {
        let a = &slot.attrs;
        slot.live
            && a.visible
            && (self.include_archived || !a.archived)
            && self.expired_before.is_none_or(|day| a.expires.is_none_or(|e| e >= day))
            && self.contract_type.is_none_or(|t| a.contract_type == Some(t))
            && self.department.is_none_or(|d| a.department == Some(d))
            && !self.except.contains(&slot.id)
    }
}

/// A search's words as keys: groups of alternatives, each a phrase of one or more keys.
#[derive(Debug, Clone, Default)]
pub struct Query {
    groups: Vec<Vec<Vec<String>>>,
    excluded: Vec<Vec<String>>,
}

impl Query {
    pub fn of(parsed: &Parsed) -> Query {
        let phrase = |t: &Term| t.0.iter().map(|w| words::key(w)).filter(|k| !k.is_empty()).collect::<Vec<_>>();
        let groups: Vec<Vec<Vec<String>>> = parsed
            .groups
            .iter()
            .map(|g| g.iter().map(phrase).filter(|p| !p.is_empty()).collect::<Vec<_>>())
            .filter(|g: &Vec<Vec<String>>| !g.is_empty())
            .collect();
        let excluded = parsed.excluded.iter().map(phrase).filter(|p| !p.is_empty()).collect();
        Query { groups, excluded }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every phrase that counts for a match (for passages).
    pub fn phrases(&self) -> impl Iterator<Item = &Vec<String>> {
        self.groups.iter().flatten()
    }
}

/// One page of a search: contract ids best first, and how many matched in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub ids: Vec<i32>,
    pub total: u64,
}

/// Where a hit matched: the field "found in" names, and the positions of its matched words
/// there (for the passage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub field: usize,
    pub positions: Vec<u32>,
}

#[derive(Default)]
pub struct Index {
    slots: Vec<Slot>,
    by_id: HashMap<i32, u32>,
    /// The slots (live or dead) of each controller number.
    controllers: HashMap<Box<str>, Vec<u32>>,
    terms: HashMap<Box<str>, Postings>,
    /// Words in each field over the live slots (for BM25's average field length).
    words: [u64; FIELDS],
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds `doc`, replacing what the index held for its contract.
    pub fn upsert(&mut self, doc: &Doc) {
        self.remove(doc.id);
        let Ok(slot) = u32::try_from(self.slots.len()) else { return };
        let mut lens = [0u32; FIELDS];
        // Each key's occurrences in this contract, in position order.
        let mut seen: HashMap<String, ([u8; FIELDS], Vec<u32>)> = HashMap::new();
        for (field, text) in doc.text.iter().enumerate() {
            let mut position = 0u32;
            for key in words::keys(text) {
                if position > POSITION_MASK {
                    break;
                }
                let entry = seen.entry(key).or_default();
                entry.0[field] = entry.0[field].saturating_add(1);
                entry.1.push((field as u32) << FIELD_SHIFT | position);
                position += 1;
            }
            lens[field] = position;
        }
        for (key, (tf, positions)) in seen {
            let postings = self.terms.entry(key.into_boxed_str()).or_default();
            postings.slots.push(slot);
            postings.tf.push(tf);
            postings.positions.extend_from_slice(&positions);
            postings.ends.push(u32::try_from(postings.positions.len()).unwrap_or(u32::MAX));
        }
        for (total, len) in self.words.iter_mut().zip(lens) {
            *total += u64::from(len);
        }
        let mut text = String::with_capacity(doc.text.iter().map(String::len).sum());
        let mut ends = [0u32; FIELDS];
        for (end, field) in ends.iter_mut().zip(&doc.text) {
            text.push_str(field);
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        let text = text.into_boxed_str();
        if let Some(number) = &doc.attrs.controller {
            self.controllers.entry(number.clone()).or_default().push(slot);
        }
        self.slots.push(Slot { id: doc.id, attrs: doc.attrs.clone(), lens, text, ends, live: true });
        self.by_id.insert(doc.id, slot);
    }

    /// Forgets contract `id` (nothing when it is not held).
    pub fn remove(&mut self, id: i32) {
        let Some(slot) = self.by_id.remove(&id) else { return };
        if let Some(s) = self.slots.get_mut(slot as usize) {
            s.live = false;
            s.text = Box::default();
            for (total, len) in self.words.iter_mut().zip(s.lens) {
                *total = total.saturating_sub(u64::from(len));
            }
        }
        let dead = self.slots.len() - self.len();
        if dead > 1000 && dead * 3 > self.len() {
            self.compact();
        }
    }

    /// Drops dead slots and their postings, renumbering the live ones in order.
    pub fn compact(&mut self) {
        let mut renumber = vec![u32::MAX; self.slots.len()];
        let mut next = 0u32;
        for (old, slot) in self.slots.iter().enumerate() {
            if slot.live {
                renumber[old] = next;
                next += 1;
            }
        }
        self.slots.retain(|s| s.live);
        self.by_id = self.slots.iter().enumerate().map(|(i, s)| (s.id, i as u32)).collect();
        self.controllers.clear();
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(number) = &s.attrs.controller {
                self.controllers.entry(number.clone()).or_default().push(i as u32);
            }
        }
        self.terms.retain(|_, postings| {
            let mut kept = Postings::default();
            for i in 0..postings.slots.len() {
                let new = renumber[postings.slots[i] as usize];
                if new != u32::MAX {
                    kept.slots.push(new);
                    kept.tf.push(postings.tf[i]);
                    kept.positions.extend_from_slice(postings.positions(i));
                    kept.ends.push(u32::try_from(kept.positions.len()).unwrap_or(u32::MAX));
                }
            }
            *postings = kept;
            !postings.slots.is_empty()
        });
        self.terms.shrink_to_fit();
    }

    /// Gives back what the posting lists reserved beyond their length (after a full load).
    pub fn shrink(&mut self) {
        for postings in self.terms.values_mut() {
            postings.slots.shrink_to_fit();
            postings.tf.shrink_to_fit();
            postings.ends.shrink_to_fit();
            postings.positions.shrink_to_fit();
        }
        self.terms.shrink_to_fit();
        self.slots.shrink_to_fit();
    }

    /// Field `field`'s text of contract `id`, as the index holds it.
    pub fn text(&self, id: i32, field: usize) -> Option<&str> {
        self.slots.get(*self.by_id.get(&id)? as usize)?.field(field)
    }

    /// Roughly the bytes the index holds.
    pub fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.slots.iter().map(|s| s.text.len()).sum::<usize>()
            + self.by_id.capacity() * 8
            + self.controllers.iter().map(|(k, v)| k.len() + 40 + v.capacity() * 4).sum::<usize>()
            + self.terms.iter().map(|(k, p)| k.len() + 16 + p.bytes()).sum::<usize>()
    }

    /// The page `offset..offset + limit` of the contracts matching `query` and `filter`, best
    /// first (ties by id, as the SQL search ordered them), and the count of all matches.
    pub fn search(&self, query: &Query, filter: &Filter, offset: usize, limit: usize) -> Found {
        let mask = filter.mask();
        let mut matched: Option<Vec<(u32, f32)>> = None;
        for group in &query.groups {
            let scored = self.group(group, mask);
            matched = Some(match matched {
                None => scored,
                Some(so_far) => intersect(&so_far, &scored),
            });
            if matched.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        let mut matched = matched.unwrap_or_default();
        for phrase in &query.excluded {
            let out: Vec<u32> = self.phrase(phrase, mask).into_iter().map(|(slot, _)| slot).collect();
            matched.retain(|(slot, _)| out.binary_search(slot).is_err());
        }
        let mut ranked: Vec<(f32, i32)> = matched
            .into_iter()
            .filter_map(|(slot, score)| {
                let s = &self.slots[slot as usize];
                filter.admits(s).then_some((score, s.id))
            })
            .collect();
        let total = ranked.len() as u64;
        let order = |a: &(f32, i32), b: &(f32, i32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let end = offset.saturating_add(limit).min(ranked.len());
        if offset >= end {
            return Found { ids: Vec::new(), total };
        }
        if end < ranked.len() {
            ranked.select_nth_unstable_by(end, order);
            ranked.truncate(end);
        }
        ranked.sort_unstable_by(order);
        Found { ids: ranked[offset..end].iter().map(|(_, id)| *id).collect(), total }
    }

    /// The contracts whose controller number is exactly `number`, within `filter`, by id.
    pub fn by_controller(&self, number: &str, filter: &Filter) -> Vec<i32> {
        let Some(slots) = self.controllers.get(number) else { return Vec::new() };
        let mut ids: Vec<i32> =
            slots.iter().map(|slot| &self.slots[*slot as usize]).filter(|s| filter.admits(s)).map(|s| s.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Where contract `id` matched `query` within `filter`'s fields: the first field that holds
    /// every group, else the first holding any of its words; `None` when neither.
    pub fn matched(&self, id: i32, query: &Query, filter: &Filter) -> Option<Matched> {
        let slot = *self.by_id.get(&id)?;
        let mask = filter.mask();
        let mut whole: Option<usize> = None;
        let mut any: Option<usize> = None;
        for field in (0..FIELDS).filter(|f| mask[*f]) {
            let mut only = [false; FIELDS];
            only[field] = true;
            let groups_here =
                query.groups.iter().filter(|g| g.iter().any(|p| self.in_slot(p, slot, only).is_some())).count();
            if groups_here > 0 && any.is_none() {
                any = Some(field);
            }
            if groups_here == query.groups.len() {
                whole = Some(field);
                break;
            }
        }
        let field = whole.or(any)?;
        let mut only = [false; FIELDS];
        only[field] = true;
        let mut positions: Vec<u32> = Vec::new();
        for phrase in query.phrases() {
            for start in self.in_slot(phrase, slot, only).unwrap_or_default() {
                positions.extend((start..).take(phrase.len()));
            }
        }
        positions.sort_unstable();
        positions.dedup();
        Some(Matched { field, positions })
    }

    /// The slots matching any phrase of `group`, each with its BM25 score (summed over the
    /// phrases it holds), sorted by slot.
    fn group(&self, group: &[Vec<String>], mask: [bool; FIELDS]) -> Vec<(u32, f32)> {
        let mut merged: Vec<(u32, f32)> = Vec::new();
        for phrase in group {
            let scored = self.score(&self.phrase(phrase, mask));
            merged = if merged.is_empty() { scored } else { union(&merged, &scored) };
        }
        merged
    }

    fn score(&self, hits: &[(u32, [u8; FIELDS])]) -> Vec<(u32, f32)> {
        let n = self.len().max(1) as f32;
        let df = hits.len() as f32;
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let average: Vec<f32> = self.words.iter().map(|w| (*w as f32 / n).max(1.0)).collect();
        hits.iter()
            .map(|(slot, tf)| {
                let lens = self.slots[*slot as usize].lens;
                let mut score = 0.0;
                for f in 0..FIELDS {
                    if tf[f] > 0 {
                        let tf = f32::from(tf[f]);
                        let norm = K1 * (1.0 - B + B * lens[f] as f32 / average[f]);
                        score += WEIGHTS[f] * tf * (K1 + 1.0) / (tf + norm);
                    }
                }
                (*slot, idf * score)
            })
            .collect()
    }

    /// The live slots holding `phrase` in `mask`'s fields, with occurrences per field, sorted.
    fn phrase(&self, phrase: &[String], mask: [bool; FIELDS]) -> Vec<(u32, [u8; FIELDS])> {
        let Some(first) = phrase.first().and_then(|k| self.terms.get(k.as_str())) else { return Vec::new() };
        let live = |slot: u32| self.slots[slot as usize].live;
        if phrase.len() == 1 {
            return (0..first.slots.len())
                .filter(|i| live(first.slots[*i]))
                .filter_map(|i| {
                    let mut tf = first.tf[i];
                    for (f, keep) in mask.iter().enumerate() {
                        if !keep {
                            tf[f] = 0;
                        }
                    }
                    (tf != [0; FIELDS]).then_some((first.slots[i], tf))
                })
                .collect();
        }
        let mut hits = Vec::new();
        for i in (0..first.slots.len()).filter(|i| live(first.slots[*i])) {
            let slot = first.slots[i];
            let starts = self.starts(phrase, slot, first.positions(i), mask);
            if !starts.is_empty() {
                let mut tf = [0u8; FIELDS];
                for p in starts {
                    let f = (p >> FIELD_SHIFT) as usize;
                    tf[f] = tf[f].saturating_add(1);
                }
                hits.push((slot, tf));
            }
        }
        hits
    }

    /// The positions (in `mask`'s fields) where `phrase` starts in `slot`, given its first
    /// word's positions there.
    fn starts(&self, phrase: &[String], slot: u32, first: &[u32], mask: [bool; FIELDS]) -> Vec<u32> {
        let mut rest = Vec::with_capacity(phrase.len().saturating_sub(1));
        for key in &phrase[1..] {
            let Some(postings) = self.terms.get(key.as_str()) else { return Vec::new() };
            let Some(i) = postings.find(slot) else { return Vec::new() };
            rest.push(postings.positions(i));
        }
        first
            .iter()
            .copied()
            .filter(|p| mask[(p >> FIELD_SHIFT) as usize])
            .filter(|p| {
                // The field is in the high bits: a phrase never runs into the next field.
                rest.iter().enumerate().all(|(k, positions)| positions.binary_search(&(p + 1 + k as u32)).is_ok())
            })
            .collect()
    }

    /// The positions (field bits removed) where `phrase` starts in `slot` within `mask`'s
    /// fields, or `None` when it does not occur there.
    fn in_slot(&self, phrase: &[String], slot: u32, mask: [bool; FIELDS]) -> Option<Vec<u32>> {
        let first = self.terms.get(phrase.first()?.as_str())?;
        let i = first.find(slot)?;
        let starts = if phrase.len() == 1 {
            first.positions(i).iter().copied().filter(|p| mask[(p >> FIELD_SHIFT) as usize]).collect()
        } else {
            self.starts(phrase, slot, first.positions(i), mask)
        };
        (!starts.is_empty()).then(|| starts.into_iter().map(|p| p & POSITION_MASK).collect())
    }
}

/// Slots in both (sorted) lists, their scores added.
fn intersect(a: &[(u32, f32)], b: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Slots in either (sorted) list, the scores of those in both added.
fn union(a: &[(u32, f32)], b: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
            out.push(a[i]);
            i += 1;
        } else if i == a.len() || b[j].0 < a[i].0 {
            out.push(b[j]);
            j += 1;
        } else {
            out.push((a[i].0, a[i].1 + b[j].1));
            i += 1;
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i32, company: &str, description: &str, items: &str) -> Doc {
        Doc {
            id,
            text: [company.into(), description.into(), items.into(), String::new()],
            attrs: Attrs { visible: true, ..Attrs::default() },
        }
    }

    fn find(index: &Index, q: &str) -> Vec<i32> {
        index.search(&Query::of(&Parsed::parse(q)), &Filter::default(), 0, 100).ids
    }

    fn sample() -> Index {
        let mut index = Index::new();
        index.upsert(&doc(1, "ACME FIRE EQUIPMENT", "FIRE PROTECTIVE GEAR", "helmets ; boots"));
        index.upsert(&doc(2, "BLUE TRUCKS INC", "SNOW PLOW TRUCKS", "plow blades ; salt"));
        index.upsert(&doc(3, "RED TRUCKS LLC", "DUMP TRUCKS AND PARTS", "tires ; fire extinguisher"));
        index
    }

    #[test]
    fn the_query_language() {
        let index = sample();
        assert_eq!(find(&index, "trucks"), [2, 3]);
        assert_eq!(find(&index, "truck snow"), [2]);
        assert_eq!(find(&index, "plow OR dump"), [2, 3]);
        assert_eq!(find(&index, "trucks -snow"), [3]);
        assert_eq!(find(&index, "\"protective gear\""), [1]);
        assert!(find(&index, "\"gear protective\"").is_empty());
        // A phrase does not run from one field into the next ("gear" ends the description).
        assert!(find(&index, "\"gear helmets\"").is_empty());
        assert!(find(&index, "-trucks").is_empty(), "an exclusion alone finds nothing");
        assert!(find(&index, "zebra").is_empty());
    }

    #[test]
    fn company_and_description_rank_above_line_items() {
        let index = sample();
        assert_eq!(find(&index, "fire"), [1, 3], "in the name and description, then in a line item");
    }

    #[test]
    fn filters_fields_and_paging() {
        let mut index = sample();
        let fire = Query::of(&Parsed::parse("fire"));
        let items = Filter { fields: vec![2], ..Filter::default() };
        assert_eq!(index.search(&fire, &items, 0, 10).ids, [3]);
        let except = Filter { except: vec![1], ..Filter::default() };
        assert_eq!(index.search(&fire, &except, 0, 10), Found { ids: vec![3], total: 1 });
        assert_eq!(index.search(&fire, &Filter::default(), 1, 10), Found { ids: vec![3], total: 2 });
        assert_eq!(index.search(&fire, &Filter::default(), 5, 10), Found { ids: vec![], total: 2 });
        let mut archived = doc(4, "FIRE CO", "", "");
        archived.attrs.archived = true;
        index.upsert(&archived);
        assert_eq!(find(&index, "fire"), [1, 3]);
        let with_archived = Filter { include_archived: true, ..Filter::default() };
        assert_eq!(index.search(&fire, &with_archived, 0, 10).total, 3);
    }

    #[test]
    fn a_change_replaces_a_contract_and_compaction_keeps_every_answer() {
        let mut index = sample();
        index.upsert(&doc(2, "ZANZIBAR SUPPLY", "SNOW PLOW TRUCKS", ""));
        assert_eq!(find(&index, "zanzibar"), [2]);
        assert_eq!(find(&index, "blue"), Vec::<i32>::new());
        index.remove(3);
        assert_eq!(find(&index, "trucks"), [2]);
        let before: Vec<Vec<i32>> =
            ["trucks", "fire", "\"snow plow\"", "plow OR helmets"].map(|q| find(&index, q)).into();
        index.compact();
        let after: Vec<Vec<i32>> =
            ["trucks", "fire", "\"snow plow\"", "plow OR helmets"].map(|q| find(&index, q)).into();
        assert_eq!(before, after);
        assert_eq!(index.len(), 2);
    }

    #[test]
    fn where_a_hit_matched() {
        let index = sample();
        let q = Query::of(&Parsed::parse("fire"));
        assert_eq!(index.matched(1, &q, &Filter::default()), Some(Matched { field: 0, positions: vec![1] }));
        assert_eq!(index.matched(3, &q, &Filter::default()), Some(Matched { field: 2, positions: vec![1] }));
        // The first field holding the whole query wins over an earlier one holding a part of it.
        let plow = Query::of(&Parsed::parse("plow"));
        assert_eq!(index.matched(2, &plow, &Filter::default()).map(|m| m.field), Some(1));
        let both = Query::of(&Parsed::parse("plow salt"));
        assert_eq!(index.matched(2, &both, &Filter::default()), Some(Matched { field: 2, positions: vec![0, 2] }));
        let phrase = Query::of(&Parsed::parse("\"plow trucks\""));
        assert_eq!(index.matched(2, &phrase, &Filter::default()), Some(Matched { field: 1, positions: vec![1, 2] }));
    }

    #[test]
    fn texts_and_controller_numbers_follow_changes_and_compaction() {
        let mut index = sample();
        let numbered = |id: i32, company: &str, number: &str| {
            let mut d = doc(id, company, "", "");
            d.attrs.controller = Some(number.into());
            d
        };
        index.upsert(&numbered(4, "OLD NAME", "900042"));
        index.upsert(&numbered(5, "OTHER", "900042"));
        assert_eq!(index.text(1, 1), Some("FIRE PROTECTIVE GEAR"));
        assert_eq!(index.text(1, 3), Some(""), "an empty field");
        assert_eq!(index.text(1, FIELDS), None, "no such field");
        assert_eq!(index.by_controller("900042", &Filter::default()), [4, 5]);
        index.upsert(&numbered(4, "NEW NAME", "900043"));
        assert_eq!(index.text(4, 0), Some("NEW NAME"));
        assert_eq!(index.by_controller("900042", &Filter::default()), [5], "the old slot is dead");
        assert_eq!(index.by_controller("900043", &Filter::default()), [4]);
        index.remove(5);
        assert_eq!(index.text(5, 0), None);
        index.compact();
        assert!(index.by_controller("900042", &Filter::default()).is_empty());
        assert_eq!(index.by_controller("900043", &Filter::default()), [4]);
        assert_eq!(index.text(4, 0), Some("NEW NAME"));
        assert_eq!(index.text(2, 2), Some("plow blades ; salt"));
    }
}
