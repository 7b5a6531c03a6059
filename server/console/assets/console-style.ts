/**
 * The console's stylesheet, served as /console/assets/console.css (the Content-Security-Policy allows
 * no inline style). A TypeScript string so that the bundled CLI carries it without a file to find.
 * Colours keep a contrast of at least 4.5:1 on their background (steps not taken are dimmed by a
 * dashed border and the muted colour, not by opacity, which would fall below it); focus is always visible.
 */
export const CONSOLE_CSS = `
:root{--fg:#1f2328;--muted:#57606a;--bg:#fff;--soft:#f6f8fa;--line:#d0d7de;--link:#0550ae;--ok:#116329;--bad:#a40e26;--warn:#7d4e00;--info:#0550ae}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:var(--bg);line-height:1.45;font-size:15px}
a{color:var(--link)}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem;z-index:10}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.5rem 1rem;background:#24292f;color:#fff}
.top a{color:#fff;text-decoration:none;padding:.35rem .6rem;border-radius:6px;display:inline-block}
.top a:hover{background:#3d444d}
.top a[aria-current="page"]{background:#fff;color:#24292f;font-weight:600}
.top ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem;margin:0;padding:0}
.brand{font-weight:700}
.badge{background:#ffd33d;color:#24292f;border-radius:4px;padding:0 .35rem;font-size:.8rem}
.logout{margin-left:auto}
button.link{background:none;border:1px solid #8c959f;color:#fff;border-radius:6px;padding:.3rem .7rem;font:inherit;cursor:pointer}
main{padding:1rem;max-width:80rem}
h1{font-size:1.4rem;margin:.25rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600}
.muted{color:var(--muted)}
.status{display:inline-block;padding:0 .4rem;border-radius:4px;border:1px solid currentColor;font-size:.85rem;font-weight:600}
.status-completed{color:var(--ok)}.status-failed{color:var(--bad)}.status-canceled{color:var(--muted)}
.status-waiting{color:var(--warn)}.status-running,.status-queued{color:var(--info)}.status-skipped{color:var(--muted)}
.notice{padding:.6rem .8rem;border-radius:6px;border:1px solid}
.notice-ok{background:#dafbe1;border-color:#4ac26b;color:#0f3d1d}
.notice-error{background:#ffebe9;border-color:#ff8182;color:#6e011a}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-bottom:.75rem}
form.filters label,form.stack label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
input,select,button{font:inherit}
input,select{padding:.3rem .4rem;border:1px solid #8c959f;border-radius:6px;background:#fff;color:var(--fg)}
button.primary,a.button{display:inline-block;padding:.4rem 1rem;border-radius:6px;border:1px solid #1f883d;background:#1f883d;color:#fff;cursor:pointer;text-decoration:none}
button.danger,a.button.danger{border-color:#a40e26;background:#a40e26;color:#fff}
a.button.secondary{background:#fff;color:var(--fg);border-color:#8c959f}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin:.75rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
pre.json{background:var(--soft);padding:.5rem;border-radius:6px;overflow:auto;max-height:20rem;font-size:.85rem;margin:.25rem 0}
.error-words{color:var(--bad);font-weight:600}
ol.flow,ol.flow ol{list-style:none;margin:0;padding-left:1.25rem;border-left:2px solid var(--line)}
ol.flow{padding-left:.75rem}
ol.flow li{margin:.35rem 0}
.step{padding:.35rem .5rem;border:1px solid var(--line);border-radius:6px;background:#fff}
.step.taken{border-color:#0969da;border-left-width:4px}
.step.not-taken{background:var(--soft);border-style:dashed;color:var(--muted)}
.step.not-taken strong{font-weight:600;color:var(--muted)}
.step .kind{font-size:.8rem;color:var(--muted);margin-left:.35rem}
.branch{font-size:.85rem;color:var(--muted);margin:.25rem 0 .1rem;font-weight:600}
.branch.taken{color:#0550ae}
details summary{cursor:pointer}
.mail{border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem;margin:.75rem 0}
.mail iframe{width:100%;height:22rem;border:1px solid var(--line);background:#fff}
.mail pre{white-space:pre-wrap;background:var(--soft);padding:.5rem;border-radius:6px}
.problems li{margin:.2rem 0}
.counts span{margin-right:.5rem}
.tables-read{margin:0;padding-left:1rem}
.tables-read li{margin:.1rem 0}
.refusal{margin:.75rem 0}
.refusal h2{font-size:1.05rem;margin:.5rem 0}
`;
