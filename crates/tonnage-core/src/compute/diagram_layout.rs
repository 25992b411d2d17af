//! A small layered (Sugiyama-style) layout for the architecture diagram: layers by longest
//! path (a dependant left of what it needs), one dummy slot per layer an edge passes through (so
//! its line runs through room of its own, never through a box), barycenter ordering within
//! each cluster (the nodes of one stack stay together in a band), then integer coordinates.
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

/// Lay out `items` joined by `edges` (from, to); `hint` is a preferred layer for items with no
/// edge at all (their tier), kept within the layers the edges use.
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
    let (mut layer, reversed) = layers(n, edges);
    let joined: Vec<bool> = (0..n)
        .map(|i| edges.iter().any(|&(a, b)| a != b && (a == i || b == i)))
        .collect();
    let deepest = layer.iter().copied().max().unwrap_or(0);
    for i in 0..n {
        if !joined[i] {
            layer[i] = hint.get(i).copied().unwrap_or(0).min(deepest);
        }
    }
    let layer_count = layer.iter().copied().max().unwrap_or(0) + 1;
    let clusters = items.iter().map(|it| it.cluster).max().unwrap_or(0) + 1;

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

    // Slots per (cluster, layer): items in input order, then the lanes of long edges. A lane
    // sits in the cluster of the edge's source (its band) while it crosses layers.
    let mut slots: Vec<Vec<Vec<Slot>>> = vec![vec![Vec::new(); layer_count]; clusters];
    for (i, it) in items.iter().enumerate() {
        slots[it.cluster][layer[i]].push(Slot::Item(i));
    }
    for (e, o) in oriented.iter().enumerate() {
        if let Some((a, b)) = *o {
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
                            pos_lane.get(&(e, span - 2)).copied().unwrap_or(0.5)
                        } else {
                            pos_item[a]
                        });
                    }
                    if !left && a == i {
                        out.push(if span > 1 {
                            pos_lane.get(&(e, 0)).copied().unwrap_or(0.5)
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
                        out.push(if st == 0 {
                            pos_item[a]
                        } else {
                            pos_lane.get(&(e, st - 1)).copied().unwrap_or(0.5)
                        });
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
        if tallest == 0 {
            continue;
        }
        let inner_top = top + m.cluster_head;
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
                y += slot_h(s) + m.gap_y;
            }
        }
        let used: Vec<usize> = (0..layer_count).filter(|&l| !band[l].is_empty()).collect();
        let first = used.first().copied().unwrap_or(0);
        let last = used.last().copied().unwrap_or(0);
        let x = col_x(first) - m.cluster_pad;
        let w = col_x(last) + m.box_w + m.cluster_pad - x;
        let h = m.cluster_head + tallest + m.cluster_pad;
        cluster_rects[c] = (x, top, w, h);
        top += h + m.gap_y;
    }
    let height = top - m.gap_y + m.margin;
    let width = col_x(layer_count - 1) + m.box_w + m.cluster_pad + m.margin;

    // Routes. Ports spread along a box's side, in the order of the other ends' heights.
    let mut routes = vec![Vec::new(); edges.len()];
    let mut outs: Vec<Vec<(i64, usize)>> = vec![Vec::new(); n];
    let mut ins: Vec<Vec<(i64, usize)>> = vec![Vec::new(); n];
    let first_y = |e: usize, a: usize, b: usize| {
        if layer[b] - layer[a] > 1 {
            lane_y.get(&(e, 0)).copied().unwrap_or(at[b].1)
        } else {
            at[b].1 + items[b].h / 2
        }
    };
    let last_y = |e: usize, a: usize, b: usize| {
        let span = layer[b] - layer[a];
        if span > 1 {
            lane_y.get(&(e, span - 2)).copied().unwrap_or(at[a].1)
        } else {
            at[a].1 + items[a].h / 2
        }
    };
    for (e, o) in oriented.iter().enumerate() {
        if let Some((a, b)) = *o {
            outs[a].push((first_y(e, a, b), e));
            ins[b].push((last_y(e, a, b), e));
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
            let y = lane_y[&(e, st)];
            pts.push((col_x(l), y));
            pts.push((col_x(l) + m.box_w, y));
        }
        pts.push((at[b].0, in_port[&e]));
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
