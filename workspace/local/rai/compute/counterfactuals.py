"""Counterfactuals: the smallest changes to a row that move the model's prediction where you want it.

dice-ml requires xgboost, whose Linux wheel pulls CUDA (nvidia-nccl), so the
search is done here, as dice-ml's "random" method does: for each query row,
many candidates change a random few of the features allowed to vary (values
drawn from the permitted range, or from the training data), all are scored in
one batch, those reaching the desired class or range are kept, then each is
made sparser greedily (features set back to the original while the outcome
still holds), and the closest distinct ones are returned.
"""

from __future__ import annotations

from typing import Any

CANDIDATES_PER_ROW = 400


def search(model, train, queries, features: list[str], categorical: list[str], task_type: str, *, total_cfs: int = 10,
           desired_class: Any = "opposite", desired_range: list | None = None, permitted_range: dict | None = None,
           features_to_vary: list[str] | None = None, seed: int = 0) -> list[dict]:
    """All query rows are searched together, so the model is called a dozen times, not per row."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vary = [f for f in (features_to_vary or features) if f in features]
    scale = {f: _scale(train[f], f in categorical) for f in features}
    pools = {f: _pool(train[f], f in categorical, (permitted_range or {}).get(f)) for f in vary}
    queries = queries[features].reset_index(drop=True)
    originals = model.predict(queries)
    wanted = [_wanted(task_type, o, desired_class, desired_range, model.classes) for o in originals]
    candidates, owner = _candidates(queries, vary, pools, rng)
    reached = _reaches_each(model.predict(candidates), [wanted[i] for i in owner], task_type)
    hits, owner = candidates[reached].reset_index(drop=True), owner[reached]
    hits, owner = _closest(queries, hits, owner, vary, scale, total_cfs * 4)
    hits = _sparser(model, queries, hits, owner, vary, wanted, task_type)
    hits, owner = _closest(queries, hits, owner, vary, scale, total_cfs)
    predictions = model.predict(hits) if len(hits) else []
    results = []
    for position in range(len(queries)):
        mine = np.flatnonzero(owner == position)
        found = [_described(queries.iloc[[position]], hits.iloc[[i]], predictions[i], vary) for i in mine]
        results.append({"row": position, "original_prediction": _plain(originals[position]), "desired": _plain_wanted(wanted[position]),
                        "counterfactuals": found, "found": len(found)})
    return results


def _candidates(queries, vary: list[str], pools: dict, rng):
    """CANDIDATES_PER_ROW copies of each query, each with 1-4 random features of ``vary`` redrawn."""
    import numpy as np

    owner = np.repeat(np.arange(len(queries)), CANDIDATES_PER_ROW)
    frame = queries.iloc[owner].reset_index(drop=True)
    count = rng.integers(1, min(len(vary), 4) + 1, size=len(frame))
    ranks = np.argsort(np.argsort(rng.random((len(frame), len(vary))), axis=1), axis=1)
    chosen = ranks < count[:, None]
    for j, feature in enumerate(vary):
        kind, pool = pools[feature]
        if kind == "choice":
            values = rng.choice(pool, size=len(frame))
        else:
            low, high, integral = pool
            values = rng.uniform(low, high, size=len(frame))
            values = np.round(values).astype(int) if integral else values
        column = frame[feature].to_numpy(dtype=object if kind == "choice" else float).copy()
        column[chosen[:, j]] = values[chosen[:, j]]
        frame[feature] = column
    return frame.astype(queries.dtypes.to_dict()), owner


def _reaches_each(predictions, wanted: list, task_type: str):
    import numpy as np

    if not len(wanted):
        return np.zeros(0, dtype=bool)
    if task_type == "regression":
        values = np.asarray(predictions, dtype=float)
        bounds = np.asarray(wanted, dtype=float)
        return (values >= bounds[:, 0]) & (values <= bounds[:, 1])
    from workspace.local.rai.compute.encoding import label_text

    labels = label_text(predictions)
    kinds = np.asarray([w[0] for w in wanted])
    targets = np.asarray([w[1] for w in wanted], dtype=object)
    return np.where(kinds == "is", labels == targets, labels != targets)


def _closest(queries, hits, owner, vary: list[str], scale: dict, keep: int):
    """Per query row, its ``keep`` closest distinct hits."""
    import numpy as np

    if hits.empty:
        return hits, owner
    distance = _distance(queries.iloc[owner].reset_index(drop=True), hits, vary, scale)
    order = np.lexsort((distance, owner))
    hits, owner = hits.iloc[order].reset_index(drop=True), owner[order]
    keyed = hits.assign(_owner=owner)
    keyed = keyed[~keyed.duplicated()]
    keyed = keyed[keyed.groupby("_owner").cumcount() < keep]
    return keyed.drop(columns="_owner").reset_index(drop=True), keyed["_owner"].to_numpy()


def _sparser(model, queries, hits, owner, vary: list[str], wanted: list, task_type: str):
    """Greedy: set each changed feature back to the query's value wherever the outcome still holds."""
    if hits.empty:
        return hits
    originals = queries.iloc[owner].reset_index(drop=True)
    targets = [wanted[i] for i in owner]
    for feature in vary:
        reverted = hits.copy()
        reverted[feature] = originals[feature].to_numpy()
        keep = _reaches_each(model.predict(reverted), targets, task_type)
        hits.loc[keep, feature] = reverted.loc[keep, feature]
    return hits


def _described(query, row, prediction, vary: list[str]) -> dict:
    """One counterfactual; ``query`` and ``row`` are one-row frames, so each column keeps its type."""
    before = {f: _plain(query[f].iloc[0]) for f in query.columns}
    after = {f: _plain(row[f].iloc[0]) for f in row.columns}
    changed = {f: {"from": before[f], "to": after[f]} for f in vary if after[f] != before[f]}
    return {"values": after, "changed": changed, "prediction": _plain(prediction)}


def _scale(values, categorical: bool) -> float:
    if categorical or values.dtype == object:
        return 1.0
    spread = float(values.quantile(0.75) - values.quantile(0.25)) or float(values.std() or 1.0)
    return spread or 1.0


def _pool(values, categorical: bool, permitted: Any):
    """What a varied feature may take: categories, a numeric range, or the training values."""
    import numpy as np

    if categorical or values.dtype == object:
        allowed = list(permitted) if permitted else sorted(values.astype(str).unique())
        return ("choice", np.asarray(allowed, dtype=object))
    low, high = (permitted if permitted else (values.min(), values.max()))
    integral = np.issubdtype(values.dtype, np.integer)
    return ("range", (float(low), float(high), integral))


def _wanted(task_type: str, original: Any, desired_class: Any, desired_range: list | None, classes: list | None) -> Any:
    if task_type == "regression":
        return tuple(float(b) for b in desired_range)
    from workspace.local.rai.compute.encoding import label_text

    original = label_text([original])[0]
    if desired_class in (None, "opposite", "None", ""):
        others = [c for c in label_text(classes or []) if c != original]
        return ("not", original) if not others or len(others) > 1 else ("is", others[0])
    return ("is", label_text([desired_class])[0])


def _distance(originals, frame, features: list[str], scale: dict):
    """Row by row: changed categories count 1, numbers count their change in inter-quartile ranges."""
    import numpy as np

    total = np.zeros(len(frame))
    for f in features:
        if frame[f].dtype == object:
            total += (frame[f].astype(str).to_numpy() != originals[f].astype(str).to_numpy()).astype(float)
        else:
            total += np.abs(frame[f].to_numpy(dtype=float) - originals[f].to_numpy(dtype=float)) / scale[f]
    return total


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _plain_wanted(wanted: Any) -> Any:
    if isinstance(wanted, tuple) and wanted and wanted[0] in ("is", "not"):
        return {"class": wanted[1]} if wanted[0] == "is" else {"not_class": wanted[1]}
    return {"range": list(wanted)}
