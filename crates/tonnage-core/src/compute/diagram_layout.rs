//! A small layered (Sugiyama-style) layout for the architecture diagram: layers by longest
//! path (a dependant left of what it needs), one dummy slot per layer an edge passes through (so
//! its line runs through room of its own, never through a box), barycenter ordering within
//! each cluster (the nodes of one stack stay together in a band), then integer coordinates.
//! Items no edge joins are packed into their cluster's band afterwards, each under the column
//! that ends highest (so they fill the room the graph leaves instead of stacking in one
//! column). Every box sits in a layer's column, so the gaps between columns stay free.
//! Edges are polylines: horizontal through the layers they cross, a straight segment in the
//! free gap between two layers. No layout crate fits the page's size budget (BENCHMARKS.md).

/// One node to place: its cluster (a band of the diagram) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub cluster: usize,
    pub h: i64,
}

/// Where the layout put everything, in integer pixels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placed {
    /// Per item: (x, y) of its top-left corner.
    pub at: Vec<(i64, i64)>,
    /// Per edge of the input, its points from the source's right side to the target's left.
    pub routes: Vec<Vec<(i64, i64)>>,
    /// Per cluster: (x, y, w, h), empty clusters `(0, 0, 0, 0)`.
    pub clusters: Vec<(i64, i64, i64, i64)>,
    pub width: i64,
    pub height: i64,
}

/// Sizes of the drawing.
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    pub box_w: i64,
    pub gap_x: i64,
    pub gap_y: i64,
    /// Height of the slot an edge takes in a layer it passes through.
    pub lane_h: i64,
    pub margin: i64,
    /// Room above a cluster's first row for its title.
    pub cluster_head: i64,
    pub cluster_pad: i64,
}

/// A slot in a layer: a real item or a lane of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Item(usize),
    /// (edge index, step along it).
    Lane(usize, usize),
}

/// Layers by longest path from the items nothing points at; an edge that would close a cycle
/// is laid out reversed (it still joins its two items).
fn layers(n: usize, edges: &[(usize, usize)]) -> (Vec<usize>, Vec<bool>) {
    // Depth-first order to find the edges that close a cycle.
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        if a < n && b < n && a != b {
            out[a].push((b, i));
        }
    }
    let mut reversed = vec![false; edges.len()];
    let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if let Some(&(w, e)) = out[v].get(*k) {
                *k += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    // Longest path over the acyclic edges (relaxed n times at most: n is small).
    let mut layer = vec![0usize; n];
    for _ in 0..n {
        let mut moved = false;
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a >= n || b >= n || a == b {
                continue;
            }
            let (a, b) = if reversed[i] { (b, a) } else { (a, b) };
            if layer[b] < layer[a] + 1 {
                layer[b] = layer[a] + 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    (layer, reversed)
}

/// The fewest columns items no edge joins are packed into (when a cluster has that many): a
/// stack of unconnected components makes a block this wide rather than one tall column.
pub const PACK_COLUMNS: usize = 3;

/// Lay out `items` joined by `edges` (from, to). Items with no edge at all are packed into
/// their cluster's band after the graph, in the order of `hint` (their tier), then input order.
pub fn layered(items: &[Item], edges: &[(usize, usize)], hint: &[usize], m: Metrics) -> Placed {
    let n = items.len();
    if n == 0 {
        return Placed {
            width: 2 * m.margin,
            height: 2 * m.margin,
            routes: vec![Vec::new(); edges.len()],
            ..Placed::default()
        };
    }
    let (layer, reversed) = layers(n, edges);
    let joined: Vec<bool> = (0..n)
        .map(|i| {
            edges
                .iter()
                .any(|&(a, b)| a != b && a < n && b < n && (a == i || b == i))
        })
        .collect();
    let layer_count = (0..n)
        .filter(|&i| joined[i])
        .map(|i| layer[i] + 1)
        .max()
        .unwrap_or(1);
    let clusters = items.iter().map(|it| it.cluster).max().unwrap_or(0) + 1;
    // The unconnected items of each cluster, in tier order then input order.
    let mut loose: Vec<Vec<usize>> = vec![Vec::new(); clusters];
    for i in (0..n).filter(|&i| !joined[i]) {
        loose[items[i].cluster].push(i);
    }
    for l in &mut loose {
        l.sort_by_key(|&i| (hint.get(i).copied().unwrap_or(0), i));
    }
    // Columns of the drawing: the graph's layers, and at least `PACK_COLUMNS` where a
    // cluster has that many boxes to place.
    let columns = (0..clusters)
        .map(|c| {
            let boxes = (0..n).filter(|&i| items[i].cluster == c).count();
            layer_count.max(PACK_COLUMNS.min(boxes))
        })
        .max()
        .unwrap_or(1)
        .max(1);

    // Edges as (upper-layer end, lower-layer end) after reversal; same-layer edges get none.
    let oriented: Vec<Option<(usize, usize)>> = edges
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| {
            if a >= n || b >= n || a == b {
                return None;
            }
            let (a, b) = if reversed[i] { (b, a) } else { (a, b) };
            (layer[a] < layer[b]).then_some((a, b))
        })
        .collect();

    // Long edges that start in the same layer of one cluster and end at the same item share
    // their lanes (a bundle, drawn as one line until it reaches that item): `bundle[e]` is the
    // first such edge, whose lanes they use. Each long edge of its own would take a lane in
    // every layer it crosses: three workers needing the same four services, twelve lanes.
    let bundle: Vec<usize> = (0..edges.len())
        .map(|e| {
            let Some((a, b)) = oriented[e] else { return e };
            if layer[b] - layer[a] < 2 {
                return e;
            }
            (0..e)
                .find(|&f| {
                    oriented[f].is_some_and(|(fa, fb)| {
                        fb == b && layer[fa] == layer[a] && items[fa].cluster == items[a].cluster
                    })
                })
                .unwrap_or(e)
        })
        .collect();

    // Slots per (cluster, layer): items in input order, then the lanes of long edges. A lane
    // sits in the cluster of the edge's source (its band) while it crosses layers.
    let mut slots: Vec<Vec<Vec<Slot>>> = vec![vec![Vec::new(); layer_count]; clusters];
    for (i, it) in items.iter().enumerate() {
        if joined[i] {
            slots[it.cluster][layer[i]].push(Slot::Item(i));
        }
    }
    for (e, o) in oriented.iter().enumerate() {
        if let (Some((a, b)), true) = (*o, bundle[e] == e) {
            for (step, l) in (layer[a] + 1..layer[b]).enumerate() {
                slots[items[a].cluster][l].push(Slot::Lane(e, step));
            }
        }
    }

    // Barycenter ordering, a few sweeps left to right and back: each slot moves towards the
    // mean position of its neighbours in the layer before (or after).
    let position = |slots: &Vec<Vec<Vec<Slot>>>| {
        let mut pos_item = vec![0f64; n];
        let mut pos_lane = std::collections::BTreeMap::new();
        for c in slots {
            for col in c {
                for (k, s) in col.iter().enumerate() {
                    let p = k as f64 / col.len().max(1) as f64;
                    match *s {
                        Slot::Item(i) => pos_item[i] = p,
                        Slot::Lane(e, st) => {
                            pos_lane.insert((e, st), p);
                        }
                    }
                }
            }
        }
        (pos_item, pos_lane)
    };
    // The neighbours of a slot on the `left` (or right) side, as positions.
    let neighbours = |s: Slot,
                      left: bool,
                      pos_item: &[f64],
                      pos_lane: &std::collections::BTreeMap<(usize, usize), f64>|
     -> Vec<f64> {
        let mut out = Vec::new();
        match s {
            Slot::Item(i) => {
                for (e, o) in oriented.iter().enumerate() {
                    let Some((a, b)) = *o else { continue };
                    let span = layer[b] - layer[a];
                    if left && b == i {
                        out.push(if span > 1 {
                            pos_lane.get(&(bundle[e], span - 2)).copied().unwrap_or(0.5)
                        } else {
                            pos_item[a]
                        });
                    }
                    if !left && a == i {
                        out.push(if span > 1 {
                            pos_lane.get(&(bundle[e], 0)).copied().unwrap_or(0.5)
                        } else {
                            pos_item[b]
                        });
                    }
                }
            }
            Slot::Lane(e, st) => {
                if let Some((a, b)) = oriented[e] {
                    let span = layer[b] - layer[a];
                    if left {
                        if st == 0 {
                            // Every source of the bundle.
                            out.extend(
                                (0..edges.len())
                                    .filter(|&f| bundle[f] == e)
                                    .filter_map(|f| oriented[f])
                                    .map(|(fa, _)| pos_item[fa]),
                            );
                        } else {
                            out.push(pos_lane.get(&(e, st - 1)).copied().unwrap_or(0.5));
                        }
                    } else {
                        out.push(if st + 2 == span {
                            pos_item[b]
                        } else {
                            pos_lane.get(&(e, st + 1)).copied().unwrap_or(0.5)
                        });
                    }
                }
            }
        }
        out
    };
    for sweep in 0..6 {
        let left = sweep % 2 == 0;
        let order: Vec<usize> = if left {
            (1..layer_count).collect()
        } else {
            (0..layer_count.saturating_sub(1)).rev().collect()
        };
        for l in order {
            let (pos_item, pos_lane) = position(&slots);
            for c in slots.iter_mut() {
                let col = &mut c[l];
                let mut keyed: Vec<(f64, usize, Slot)> = col
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| {
                        let ns = neighbours(s, left, &pos_item, &pos_lane);
                        let own = k as f64 / col.len().max(1) as f64;
                        let bary = if ns.is_empty() {
                            own
                        } else {
                            ns.iter().sum::<f64>() / ns.len() as f64
                        };
                        (bary, k, s)
                    })
                    .collect();
                // Stable: ties keep their order (deterministic output).
                keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                *col = keyed.into_iter().map(|(_, _, s)| s).collect();
            }
        }
    }

    // Coordinates. Each cluster is a band as tall as its tallest layer; layers are columns.
    let slot_h = |s: Slot| match s {
        Slot::Item(i) => items[i].h,
        Slot::Lane(..) => m.lane_h,
    };
    let col_x = |l: usize| m.margin + m.cluster_pad + l as i64 * (m.box_w + m.gap_x);
    let mut at = vec![(0i64, 0i64); n];
    let mut lane_y = std::collections::BTreeMap::new();
    let mut cluster_rects = vec![(0, 0, 0, 0); clusters];
    let mut top = m.margin;
    for (c, band) in slots.iter().enumerate() {
        let heights: Vec<i64> = band
            .iter()
            .map(|col| {
                col.iter().map(|&s| slot_h(s)).sum::<i64>()
                    + (col.len() as i64 - 1).max(0) * m.gap_y
            })
            .collect();
        let tallest = heights.iter().copied().max().unwrap_or(0);
        if tallest == 0 && loose[c].is_empty() {
            continue;
        }
        let inner_top = top + m.cluster_head;
        // Where each column's boxes end (`None`: nothing in it yet).
        let mut bottom: Vec<Option<i64>> = vec![None; columns];
        for (l, col) in band.iter().enumerate() {
            // Centred in the band.
            let mut y = inner_top + (tallest - heights[l]) / 2;
            for &s in col {
                match s {
                    Slot::Item(i) => at[i] = (col_x(l), y),
                    Slot::Lane(e, st) => {
                        lane_y.insert((e, st), y + m.lane_h / 2);
                    }
                }
                bottom[l] = Some(y + slot_h(s));
                y += slot_h(s) + m.gap_y;
            }
        }
        // The unconnected items, each under the column that ends highest (the leftmost of
        // equals). No edge runs down a column (only through its own lanes, above), so a box
        // placed below a column's last slot is in no edge's way.
        for &i in &loose[c] {
            let (l, y) = (0..columns)
                .map(|l| (l, bottom[l].map_or(inner_top, |b| b + m.gap_y)))
                .min_by_key(|&(l, y)| (y, l))
                .unwrap_or((0, inner_top));
            at[i] = (col_x(l), y);
            bottom[l] = Some(y + items[i].h);
        }
        let filled = bottom.iter().flatten().map(|b| b - inner_top).max();
        let inner_h = filled.unwrap_or(0).max(tallest);
        let used: Vec<usize> = (0..columns).filter(|&l| bottom[l].is_some()).collect();
        let first = used.first().copied().unwrap_or(0);
        let last = used.last().copied().unwrap_or(0);
        let x = col_x(first) - m.cluster_pad;
        let w = col_x(last) + m.box_w + m.cluster_pad - x;
        let h = m.cluster_head + inner_h + m.cluster_pad;
        cluster_rects[c] = (x, top, w, h);
        top += h + m.gap_y;
    }
    let height = top - m.gap_y + m.margin;
    let last_used = (0..n).map(|i| at[i].0).max().unwrap_or(col_x(0));
    let width = last_used + m.box_w + m.cluster_pad + m.margin;

    // Routes. Ports spread along a box's side, in the order of the other ends' heights.
    let mut routes = vec![Vec::new(); edges.len()];
    let mut outs: Vec<Vec<(i64, usize)>> = vec![Vec::new(); n];
    let mut ins: Vec<Vec<(i64, usize)>> = vec![Vec::new(); n];
    let first_y = |e: usize, a: usize, b: usize| {
        if layer[b] - layer[a] > 1 {
            lane_y.get(&(bundle[e], 0)).copied().unwrap_or(at[b].1)
        } else {
            at[b].1 + items[b].h / 2
        }
    };
    let last_y = |e: usize, a: usize, b: usize| {
        let span = layer[b] - layer[a];
        if span > 1 {
            lane_y
                .get(&(bundle[e], span - 2))
                .copied()
                .unwrap_or(at[a].1)
        } else {
            at[a].1 + items[a].h / 2
        }
    };
    // A bundle arrives at one port (its edges' last segments are one line).
    for (e, o) in oriented.iter().enumerate() {
        if let Some((a, b)) = *o {
            outs[a].push((first_y(e, a, b), e));
            if bundle[e] == e {
                ins[b].push((last_y(e, a, b), e));
            }
        }
    }
    let port = |list: &mut Vec<(i64, usize)>, i: usize| {
        list.sort();
        let k = list.len() as i64;
        list.iter()
            .enumerate()
            .map(|(j, &(_, e))| (e, at[i].1 + items[i].h * (j as i64 + 1) / (k + 1)))
            .collect::<Vec<_>>()
    };
    let mut out_port = std::collections::BTreeMap::new();
    let mut in_port = std::collections::BTreeMap::new();
    for i in 0..n {
        out_port.extend(port(&mut outs[i], i));
        in_port.extend(port(&mut ins[i], i));
    }
    for (e, o) in oriented.iter().enumerate() {
        let Some((a, b)) = *o else { continue };
        let mut pts = vec![(at[a].0 + m.box_w, out_port[&e])];
        for (st, l) in (layer[a] + 1..layer[b]).enumerate() {
            let y = lane_y[&(bundle[e], st)];
            pts.push((col_x(l), y));
            pts.push((col_x(l) + m.box_w, y));
        }
        pts.push((at[b].0, in_port[&bundle[e]]));
        if reversed[e] {
            pts.reverse();
        }
        routes[e] = pts;
    }
    Placed {
        at,
        routes,
        clusters: cluster_rects,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Metrics = Metrics {
        box_w: 100,
        gap_x: 40,
        gap_y: 10,
        lane_h: 6,
        margin: 5,
        cluster_head: 20,
        cluster_pad: 7,
    };

    fn item(cluster: usize) -> Item {
        Item { cluster, h: 40 }
    }

    /// Three items that need one far item (and a middle one each) share one lane through the
    /// middle layer: the three routes run on the same line there and end at one port.
    #[test]
    fn long_edges_to_one_item_share_a_lane() {
        // 0, 1, 2 -> 3 (middle) -> 4; and 0, 1, 2 -> 4 directly (across the middle layer).
        let items = [item(0); 5];
        let mut edges = vec![(0, 3), (1, 3), (2, 3), (3, 4)];
        edges.extend([(0, 4), (1, 4), (2, 4)]);
        let p = layered(&items, &edges, &[0; 5], M);
        let lanes: Vec<&[(i64, i64)]> = p.routes[4..].iter().map(|r| &r[1..3]).collect();
        assert!(lanes.iter().all(|l| l == &lanes[0]), "{lanes:?}");
        let ends: Vec<_> = p.routes[4..].iter().map(|r| *r.last().unwrap()).collect();
        assert!(ends.iter().all(|e| *e == ends[0]), "{ends:?}");
    }

    /// Items no edge joins fill the columns the graph leaves short, leftmost first, instead of
    /// one column of their own: here two joined pairs and seven loose items in three columns
    /// make four rows, not nine.
    #[test]
    fn loose_items_are_packed_into_the_short_columns() {
        let items = [item(0); 11];
        let edges = [(0, 1), (2, 3)];
        let hint = [0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3];
        let p = layered(&items, &edges, &hint, M);
        let xs: std::collections::BTreeSet<i64> = p.at.iter().map(|a| a.0).collect();
        assert_eq!(xs.len(), PACK_COLUMNS, "{:?}", p.at);
        for x in &xs {
            let n = p.at.iter().filter(|a| a.0 == *x).count();
            assert!((3..=4).contains(&n), "{n} items at x = {x}");
        }
        let rows = (p.clusters[0].3 - M.cluster_head - M.cluster_pad + M.gap_y) / (40 + M.gap_y);
        assert_eq!(rows, 4);
        // The joined pairs keep their order: a dependant left of what it needs.
        assert!(p.at[0].0 < p.at[1].0 && p.at[2].0 < p.at[3].0);
        // No two boxes overlap.
        for (i, a) in p.at.iter().enumerate() {
            for b in &p.at[i + 1..] {
                assert!(
                    a.0 != b.0 || (a.1 - b.1).abs() >= 40 + M.gap_y,
                    "{a:?} {b:?}"
                );
            }
        }
    }
}
