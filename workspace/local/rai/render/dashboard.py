"""The dashboard as one self-contained HTML page: server-drawn SVG charts, a few lines of inline script for tabs."""

from __future__ import annotations

from html import escape

from workspace.local.rai.render import svg

TABS = (("errors", "Error analysis"), ("importance", "Feature importance"), ("counterfactuals", "Counterfactuals (what-if)"),
        ("causal", "Causal analysis"), ("overview", "Model overview"))
PER_ROW_VIEWS = 50  # individual charts and what-if tables pre-drawn for the first rows

STYLE = """
body{font:14px system-ui,sans-serif;margin:0;color:#1f2933}header{background:#1f2933;color:#fff;padding:12px 20px}
nav{display:flex;gap:4px;padding:8px 20px;background:#e4e7eb}nav button{border:0;padding:8px 14px;background:#fff;cursor:pointer;border-radius:4px}
nav button.active{background:#2f6fde;color:#fff}section.tab{display:none;padding:16px 20px}section.tab.active{display:block}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #cbd2d9;padding:3px 8px;text-align:right}th{background:#f5f7fa}
td.changed{background:#ffe3a3;font-weight:600}.missing{color:#7b8794;font-style:italic}svg text{font-size:11px}.view{display:none}.view.shown{display:block}
"""

SCRIPT = """
function show(name){document.querySelectorAll('section.tab').forEach(s=>s.classList.toggle('active',s.id==='tab-'+name));
document.querySelectorAll('nav button').forEach(b=>b.classList.toggle('active',b.dataset.tab===name));
requestAnimationFrame(()=>{const charts=[...document.querySelectorAll('#tab-'+name+' svg.chart')].filter(c=>{const r=c.getBoundingClientRect();
return r.width>0&&r.height>0&&c.childElementCount>0});document.body.dataset.tab=name;document.body.dataset.rendered=charts.length;});}
function pick(group,value){document.querySelectorAll('[data-group="'+group+'"]').forEach(v=>v.classList.toggle('shown',v.dataset.row===value));
document.querySelectorAll('select[data-for="'+group+'"]').forEach(s=>{if(s.value!==value)s.value=value;});}
document.querySelectorAll('nav button').forEach(b=>b.addEventListener('click',()=>{location.hash=b.dataset.tab;show(b.dataset.tab);}));
document.querySelectorAll('select[data-for]').forEach(s=>s.addEventListener('change',()=>pick(s.dataset.for,s.value)));
show((location.hash||'#errors').slice(1));
"""


def render_dashboard(data: dict) -> str:
    config = data["config"]
    body = {name: "" for name, _ in TABS}
    insights = data["insights"]
    body["errors"] = _errors(insights.get("error_analysis"))
    body["importance"] = _importance(insights.get("explanation"), data)
    body["counterfactuals"] = _counterfactuals(insights.get("counterfactual"), config, data["rows"])
    body["causal"] = _causal(insights.get("causal"))
    body["overview"] = _overview(data["overview"], config)
    nav = "".join(f'<button data-tab="{name}">{escape(title)}</button>' for name, title in TABS)
    sections = "".join(f'<section class="tab" id="tab-{name}"><h2>{escape(title)}</h2>{body[name]}</section>' for name, title in TABS)
    subtitle = f'{config["task_type"]} of {config["target_column"]} · model {config.get("model_id") or "(unregistered)"} · ' \
               f'{config["rows"]["test"]} test rows, {config["rows"]["train"]} train rows'
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(config["title"])}</title><style>{STYLE}</style></head>'
            f'<body><header><h1>{escape(config["title"])}</h1><div>{escape(subtitle)}</div></header><nav>{nav}</nav>{sections}'
            f'<script>{SCRIPT}</script></body></html>')


def _absent(what: str) -> str:
    return f'<p class="missing">This dashboard has no {what}; add the {what} component to the pipeline to see it.</p>'


def _table(header: list, rows: list[list], changed: set | None = None) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = ""
    for r, row in enumerate(rows):
        cells = "".join(f'<td{" class=changed" if changed and (r, c) in changed else ""}>{escape(_cell(v))}</td>' for c, v in enumerate(row))
        body += f"<tr>{cells}</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _select(group: str, count: int, label: str) -> str:
    options = "".join(f'<option value="{i}">row {i}</option>' for i in range(count))
    return f'<label>{escape(label)} <select data-for="{group}">{options}</select></label>'


def _errors(ea: dict | None) -> str:
    if not ea:
        return _absent("error analysis")
    top = ea["top_cohorts"][:5]
    rows = [[c["description"], c["size"], c["error_rate"], c["error"]] for c in top]
    return (f'<p>Overall {ea["metric"].replace("_", " ")}: <b>{ea["overall_error_rate"]:.2%}</b>. Each box is a cohort: '
            f'the rows its path selects, coloured by their error rate.</p><h3>Error tree</h3>{svg.tree(ea["tree"])}'
            f'<h3>Heat map: {" × ".join(map(escape, ea["heatmap"]["features"]))}</h3>{svg.heatmap(ea["heatmap"])}'
            f'<h3>Cohorts with the most errors</h3>{_table(["cohort", "size", ea["metric"], "errors"], rows)}')


def _importance(ex: dict | None, data: dict) -> str:
    if not ex:
        return _absent("explanation")
    ranked = sorted(ex["global_importance"].items(), key=lambda kv: -kv[1])
    html = (f'<p>Method: {escape(ex["method"])}' + (f'; class explained: {escape(str(ex["explained_class"]))}' if ex.get("explained_class") else "")
            + f'</p><h3>Aggregate importance (mean |SHAP|)</h3>{svg.bars(ranked, label="aggregate importance")}')
    local = ex.get("local_importance") or []
    if local:
        count = min(PER_ROW_VIEWS, len(local))
        views = "".join(f'<div class="view{" shown" if i == 0 else ""}" data-group="local" data-row="{i}">'
                        f'<p>prediction: {escape(_cell(data["rows"]["values"][i][-1]))}</p>'
                        f'{svg.bars(sorted(zip(ex["features"], local[i]), key=lambda kv: -abs(kv[1])), label=f"row {i}")}</div>'
                        for i in range(count))
        html += f'<h3>Individual importance</h3>{_select("local", count, "test row")}{views}'
    return html


def _counterfactuals(cf: dict | None, config: dict, rows: dict) -> str:
    if not cf:
        return _absent("counterfactual analysis")
    features = config["features"]
    summary = sorted((cf.get("feature_importance") or {}).items(), key=lambda kv: -kv[1])
    count = min(PER_ROW_VIEWS, len(cf["rows"]), len(rows["values"]))
    views = ""
    for i, row in enumerate(cf["rows"][:count]):
        original = dict(zip(rows["columns"], rows["values"][row["row"]]))
        # Column 0 names the row; a changed feature f sits in column 1 + its index.
        changed = {(r + 1, 1 + features.index(f)) for r, c in enumerate(row["counterfactuals"]) for f in c["changed"]}
        body = [["original"] + [original[f] for f in features] + [row["original_prediction"]]]
        body += [[f"what-if {k + 1}"] + [c["values"][f] for f in features] + [c["prediction"]] for k, c in enumerate(row["counterfactuals"])]
        wanted = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in row["desired"].items())
        views += (f'<div class="view{" shown" if i == 0 else ""}" data-group="cf" data-row="{i}"><p>wanted: {escape(wanted)}; '
                  f'{row["found"]} found (changed values highlighted)</p>{_table([""] + features + ["prediction"], body, changed)}</div>')
    chart = svg.bars(summary, label="how often each feature changes") if summary else ""
    return f'<h3>Features the counterfactuals change most</h3>{chart}<h3>What-if table</h3>{_select("cf", count, "test row")}{views}'


def _causal(ca: dict | None) -> str:
    if not ca:
        return _absent("causal analysis")
    items = [(t["feature"], t["point"], t["ci_lower"], t["ci_upper"]) for t in ca["treatments"]]
    alpha = ca["config"]["alpha"]
    rows = [[t["feature"], t["point"], t["stderr"], t["p_value"], t["ci_lower"], t["ci_upper"]] for t in ca["treatments"]]
    html = (f'<h3>Aggregate causal effects on {escape(ca["outcome"])} ({1 - alpha:.0%} confidence intervals)</h3>{svg.intervals(items, label="aggregate effects")}'
            + _table(["treatment", "effect", "std err", "p-value", "CI lower", "CI upper"], rows))
    for t in ca["treatments"]:
        policy = t["policy"]
        html += (f'<h3>Individual effects of {escape(t["feature"])}</h3>{svg.histogram(t["individual"]["point"], label="individual effects")}'
                 f'<h3>Treatment policy for {escape(t["feature"])} (cost {policy["treatment_cost"]:.4g})</h3>'
                 + _table(["segment", "size", "mean effect", "treat"], [[r["rule"], r["size"], r["mean_effect"], "yes" if r["treat"] else "no"] for r in policy["rules"]])
                 + svg.bars([("policy", policy["gain_policy"]), ("treat all", policy["gain_treat_all"]), ("treat none", policy["gain_treat_none"])], label="policy gains"))
    return html


def _overview(ov: dict, config: dict) -> str:
    metrics = ov["metrics"]
    main_metric = "accuracy_score" if config["task_type"] == "classification" else "mean_absolute_error"
    html = f'<h3>Metrics on {ov["size"]} test rows</h3>' + _table(list(metrics), [[metrics[m] for m in metrics]])
    for feature, cohorts in ov["feature_cohorts"].items():
        items = [(f'{g["group"]} (n={g["size"]})', g[main_metric] or 0.0) for g in cohorts["groups"]]
        html += f'<h3>{escape(main_metric)} by {escape(feature)}</h3>{svg.bars(items, label=f"cohorts of {feature}")}'
    return html
