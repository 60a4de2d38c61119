"""Human-readable summaries of a built task: a text report and a PNG.

The PNG shows, left, which positions carry a pasted motif hit in the first
positives and negatives (one row per sequence) with the per-position
occupancy of each class below; right, the kept motifs as sequence logos
(information content, bits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tasks.dataset import Dataset


def summary_text(dataset: Dataset, top: int = 10) -> str:
    """A plain-text report: sizes, kept motifs with counts and enrichment, prevalence."""
    m = dataset.manifest
    spec = m.get("spec", {})
    occ = m.get("occupancy", {})
    lines = [
        f"task {dataset.name}  ({spec.get('source')}, hash {dataset.hash})",
        f"  {spec.get('description', '')}",
        f"  path: {dataset.path}",
        f"  sequences: {len(dataset.y)} x {dataset.length} bp; positives {int(dataset.y.sum())}, "
        f"negatives {int((dataset.y == 0).sum())}; test {int(dataset.is_test.sum())}; eval set {len(dataset.eval_index)}",
        f"  mask prevalence: eval {dataset.prevalence:.3f}; "
        + "; ".join(f"{k} {occ[k]['prevalence']:.3f}" for k in ("positives", "negatives", "train", "test") if occ.get(k, {}).get("n")),
        f"  mean hits per sequence: positives {occ.get('positives', {}).get('mean_hits')}, "
        f"negatives {occ.get('negatives', {}).get('mean_hits')}",
    ]
    if "filter" in m:
        f = m["filter"]
        lines.append(
            f"  filter: >= {f['min_pos_hits']} hits, enrichment >= {f['min_enrichment']} vs {f['enrichment_background']}, "
            f"FIMO p < {f['fimo_threshold']}, collapse {'TOMTOM p < ' + str(f['collapse_pvalue']) if f['collapse'] else 'off'}"
            f"; {m['counts']['candidates']} candidates -> {m['counts']['kept']} kept"
            f", ranked by {'the ratio' if f.get('motif_priority', 'enrichment') == 'enrichment' else 'its 95% lower bound'}"
        )
    table = m.get("motif_table", [])
    kept = [r for r in table if r.get("kept")]
    lines.append(f"  kept motifs ({len(kept)}; hits in positives, negatives, enrichment background; ratio, lower bound; pasted):")
    header = (f"    {'motif':32s} {'pos hits':>8s} {'neg hits':>8s} {'bg hits':>8s} {'enrich':>7s} {'lower':>7s} "
              f"{'pasted pos':>10s} {'pasted neg':>10s}")
    lines.append(header)
    for r in kept:
        lines.append(
            f"    {r['motif']:32s} {r.get('pos_hits', 0):8d} {r.get('neg_hits', 0):8d} {r.get('bg_hits', r.get('neg_hits', 0)):8d} "
            f"{_fmt(r.get('enrichment')):>7s} {_fmt(r.get('enrichment_lower')):>7s} "
            f"{r.get('pasted_pos', r.get('pos_hits', 0)):10d} {r.get('pasted_neg', r.get('neg_hits', 0)):10d}"
        )
    dropped = [r for r in table if r.get("candidate") and not r.get("kept")]
    if dropped:
        lines.append(f"  collapsed into a kept motif ({len(dropped)}; first {min(top, len(dropped))}):")
        for r in dropped[:top]:
            lines.append(f"    {r['motif']:32s} -> {r.get('collapsed_into') or '(over max_motifs)'}  enrich {_fmt(r.get('enrichment'))}"
                         f"  lower {_fmt(r.get('enrichment_lower'))}  pos hits {r.get('pos_hits', 0)}")
    return "\n".join(lines)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def summary_png(dataset: Dataset, path: Path, n_rows: int = 100) -> Path:
    """Draw the occupancy rasters and the kept motifs' logos into `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import logomaker
    import matplotlib.pyplot as plt
    import pandas as pd

    motifs = list(dataset.motifs.items())
    n_logos = max(len(motifs), 1)
    fig = plt.figure(figsize=(13, max(6.0, 1.1 * n_logos + 1)))
    grid = fig.add_gridspec(max(n_logos, 3), 3, width_ratios=[1.2, 1.2, 1.4])
    pos_rows = np.flatnonzero(dataset.y == 1)[:n_rows]
    neg_rows = np.flatnonzero(dataset.y == 0)[:n_rows]
    for column, (rows, label) in enumerate([(pos_rows, "positives"), (neg_rows, "negatives")]):
        ax = fig.add_subplot(grid[: max(n_logos, 3) - 1, column])
        ax.imshow(dataset.mask[rows], aspect="auto", interpolation="nearest", cmap="Greys")
        ax.set_title(f"motif-occupied positions, first {len(rows)} {label}")
        ax.set_ylabel("sequence")
        ax.set_xticks([])
        profile = fig.add_subplot(grid[max(n_logos, 3) - 1, column])
        all_rows = np.flatnonzero(dataset.y == (1 if label == "positives" else 0))
        profile.plot(dataset.mask[all_rows].mean(0) if len(all_rows) else np.zeros(dataset.length))
        profile.set_xlim(0, dataset.length - 1)
        profile.set_xlabel("position (bp)")
        profile.set_ylabel("occupancy")
    for i, (name, matrix) in enumerate(motifs):
        ax = fig.add_subplot(grid[i, 2])
        frame = pd.DataFrame(np.asarray(matrix, dtype=np.float64), columns=list("ACGT"))
        info = logomaker.transform_matrix(frame, from_type="probability", to_type="information")
        logomaker.Logo(info, ax=ax, show_spines=False)
        ax.set_ylim(0, 2)
        ax.set_title(name, fontsize=8, loc="left")
        ax.set_xticks([])
    fig.suptitle(f"{dataset.name}: eval prevalence {dataset.prevalence:.3f}, {len(motifs)} motifs")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def show(dataset: Dataset, out_dir: Path | None = None) -> tuple[str, Path, Path]:
    """Write ``<name>-summary.txt`` and ``<name>-summary.png`` into `out_dir`
    (default: the dataset's cache directory). Returns (text, text path, png path)."""
    out_dir = Path(out_dir) if out_dir is not None else Path(dataset.path)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = summary_text(dataset)
    text_path = out_dir / f"{dataset.name}-summary.txt"
    text_path.write_text(text + "\n")
    png_path = summary_png(dataset, out_dir / f"{dataset.name}-summary.png")
    return text, text_path, png_path
