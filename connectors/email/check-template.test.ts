import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../index.ts';
import { loadConfig } from '../../server/config.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { formatProblem } from '../../server/recipes/recipe-problem.ts';
import { validateRecipe } from '../../server/recipes/validate-recipe.ts';

const FILE = 'recipes/mdf-requests/notify.recipe.json';
const templatesDir = mkdtempSync(join(tmpdir(), 'partnerflow-template-data-'));
afterAll(() => rmSync(templatesDir, { recursive: true, force: true }));
const template = (name: string, subject: string, body: string) => writeFileSync(join(templatesDir, `${name}.txt`), `---\nsubject: ${subject}\n---\n${body}\n`);

template('partner-notice', 'MDF request {{ request.mdfNumber }} received', 'Hello {{ partner_name }} team,\n\nyou asked for {{ $usd(request.amountRequested) }} for {{ activity }}.');
template(
  'lead-digest',
  '{{ $count(leads) }} new leads for {{ partner.name }}',
  [
    // Inside a path, a filter, a sort or a lambda over the items, names are the items' fields.
    "{{ $join(leads.('- ' & firstName & ' <' & email & '>' & (company ? ', ' & company : '')), '\\n') }}",
    "New: {{ $join(leads[status = 'new'].email, ', ') }}",
    "By name: {{ $join(leads^(lastName).lastName, ', ') }}",
    "{{ $join($map(leads, function($lead) { $lead.email }), ', ') }}",
    '{{ ($first := leads[0]; $first.firstName) }}',
    // $$ is the data wherever it is written.
    "{{ $join(leads.(email & ' (' & $$.day & ')'), ', ') }}",
  ].join('\n'),
);
template(
  'optional-parts',
  'Request {{ request.mdfNumber }}',
  // A name the template tests is one it expects to be absent at times: it renders its own fallback.
  [
    "{{ note ? 'Note: ' & note : '' }}",
    'Decide within {{ business_days ?: 2 }} business days.',
    "{{ $exists(comment) ? comment : 'no comment' }} {{ reason ?? 'no reason' }}",
  ].join('\n'),
);
template(
  'tested-and-shown',
  'Request {{ request.mdfNumber }}',
  // Tested in one placeholder, shown bare in another; a value compared, or a list counted, is no test of its presence.
  [
    "{{ note ? 'Note:' : '' }} {{ note }}",
    "{{ tier = 'gold' ? 'Thank you for being a gold partner.' : '' }}",
    "{{ $count(comments) > 0 ? 'Comments: ' & $join(comments.comment, '; ') : '' }}",
  ].join('\n'),
);
template('request-approved', 'MDF request {{ request.mdfNumber }} approved', 'You were granted {{ $usd(request.amountApproved) }}.');
template('request-denied', 'MDF request {{ request.mdfNumber }} denied', 'It was denied: {{ reason }}.');
template(
  'claim-paid',
  'Claim {{ claim.number }} paid',
  // Templates have JSONata's functions and $usd ($formatUsd its older name), and functions they define themselves.
  [
    'We paid {{ $usdd(claim.amount) }} on {{ $formatDate(claim.paidOn) }}.',
    '{{ $formatUsd(claim.amount) }} {{ $uppercase(claim.number) }} {{ ($twice := function($n) { $n * 2 }; $twice(claim.amount)) }}',
    'Paid in {{ $countryName(claim.country) }}.',
  ].join('\n'),
);
template('approval-ask', 'Please decide on {{ request.mdfNumber }}', 'Hello {{ approver_name }},\n\nApprove: {{ aprove_url }}\nDeny: {{ deny_url }}\n{{ expires_text ? expires_text : \'\' }}{{ expires_at }}');

template(
  'many-problems',
  'Claim {{ claim.number } paid',
  // Every problem of one template, each on its line: two placeholders that do not parse, a function and a
  // variable templates do not have, and a name the step's data does not give.
  ['Paid {{ $usd(claim.amount }} on {{ claim.paidOn.. }}.', 'By {{ $usdd(claim.amount) }} for {{ $partnerName }}.', 'Ref {{ reference }}.'].join('\n'),
);
writeFileSync(join(templatesDir, 'no-subject-line.txt'), '---\ntitle: x\n---\nHello {{ $name }}\n');
template(
  'variables-bound',
  'Leads for {{ partner.name }}',
  // Names a placeholder binds, and a function passed as a value: no problem.
  [
    "{{ $join($map(leads, $string), ', ') }} {{ $join(leads@$l.($l.email), ', ') }} {{ $join(leads#$i.($string($i + 1)), ',') }}",
    '{{ ($t := $count(leads); $t) }} {{ $map(leads, function($lead) { $lead.email }) }} {{ $ }} {{ $$.partner.name }}',
  ].join('\n'),
);
const { connectors } = loadConfig({ EMAIL_TEMPLATES_DIR: templatesDir }, { mock: true, connectors: CONNECTORS });
const catalog = new ConnectorCatalog(CONNECTORS);

const getRequest = { id: 'request', type: 'action', action: 'prm.get_mdf_request', input: { mdf_number: '{% $trigger.data.mdfNumber %}' } };
const send = (id: string, templateName: string, data?: unknown) => ({
  id,
  type: 'action',
  action: 'email.send',
  input: { to: ['partner@northwind.example'], template: templateName, ...(data === undefined ? {} : { data }) },
});

/** What `partnerflow validate` prints for a recipe with these steps. */
function validate(steps: unknown[]): string[] {
  const recipe = { name: 'notify', version: 1, description: 'Tells the partner.', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' }, steps: [getRequest, ...steps] };
  return validateRecipe(recipe, FILE, { catalog, tables: [], connectorConfigs: connectors }).problems.map(formatProblem);
}

describe('every problem of an email template, in one run of validate', () => {
  it('names each placeholder that does not parse, each stray {{, a function and a $variable templates do not have, and each name the data does not give', () => {
    expect(validate([send('notify', 'many-problems', { claim: '{% $steps.request %}' })])).toEqual([
      expect.stringMatching(/^recipes\/mdf-requests\/notify\.recipe\.json: steps\[1\]\.input\.template: email template "many-problems" cannot be used: .*many-problems\.txt:2: "\{\{" without its "\}\}": a placeholder is written \{\{ … \}\}$/),
      expect.stringMatching(/email template "many-problems" cannot be used: .*many-problems\.txt:4: \{\{ \$usd\(claim\.amount \}\}: .+/),
      expect.stringMatching(/email template "many-problems" cannot be used: .*many-problems\.txt:4: \{\{ claim\.paidOn\.\. \}\}: .+/),
      `${FILE}: steps[1].input.template: email template "many-problems" calls $usdd in {{ $usdd(claim.amount) }}, which is not a function in email templates: a send fails there (did you mean "$usd"?)`,
      `${FILE}: steps[1].input.template: email template "many-problems" reads $partnerName in {{ $partnerName }}, which is no variable in email templates: it shows a blank in every email; a field of the step's data is read without $ (partnerName)`,
      `${FILE}: steps[1].input.data: step "notify" renders email template "many-problems", which reads "reference", but the step's data has no "reference": the email would show a blank there`,
    ]);
  });

  it('a front matter without its subject line, and what the body reads, both', () => {
    expect(validate([send('notify', 'no-subject-line', {})])).toEqual([
      expect.stringMatching(/email template "no-subject-line" cannot be used: .*no-subject-line\.txt: the front matter has no "subject:" line$/),
      `${FILE}: steps[1].input.template: email template "no-subject-line" reads $name in {{ $name }}, which is no variable in email templates: it shows a blank in every email; a field of the step's data is read without $ (name)`,
    ]);
  });

  it('a $name the placeholder binds ($x := …, a lambda\'s parameter, @$x, #$i), a function passed as a value, $ and $$ are no problem', () => {
    expect(validate([send('notify', 'variables-bound', { partner: '{% $steps.request %}', leads: [] })])).toEqual([]);
  });
});

describe('the names an email template reads, against the data its step passes', () => {
  it('names each name the template reads that the data does not give, with the step, the template and the closest data key; a data key the template does not read is no problem', () => {
    const data = { request: '{% $steps.request %}', partnerName: '{% $steps.request.partnerName %}', region: 'EMEA' };
    expect(validate([send('tell_partner', 'partner-notice', data)])).toEqual([
      `${FILE}: steps[1].input.data: step "tell_partner" renders email template "partner-notice", which reads "partner_name", but the step's data has no "partner_name": the email would show a blank there (did you mean "partnerName"?)`,
      `${FILE}: steps[1].input.data: step "tell_partner" renders email template "partner-notice", which reads "activity", but the step's data has no "activity": the email would show a blank there`,
    ]);
  });

  it('a step with no data: every name the template reads, once, in the order the template reads them', () => {
    expect(validate([send('tell_partner', 'partner-notice')]).map((line) => /reads "(\w+)"/.exec(line)?.[1])).toEqual(['request', 'partner_name', 'activity']);
  });

  it('a nested path needs only its top-level key; names inside a loop, filter, sort or lambda over a list are the items\', not the data\'s; $$ reads the data', () => {
    const data = { leads: '{% $steps.request.leads %}', partner: { name: '{% $steps.request.partnerName %}' } };
    expect(validate([send('digest', 'lead-digest', data)])).toEqual([
      `${FILE}: steps[1].input.data: step "digest" renders email template "lead-digest", which reads "day", but the step's data has no "day": the email would show a blank there`,
    ]);
    expect(validate([send('digest', 'lead-digest', { ...data, day: '2026-03-03' })])).toEqual([]);
  });

  it('a name the template reads only where it tests it (`x ? … : …`, `x ?: …`, `x ?? …`, `$exists(x) ? …`) is optional', () => {
    expect(validate([send('tell_partner', 'optional-parts', { request: '{% $steps.request %}' })])).toEqual([]);
  });

  it('a name tested in one placeholder and shown bare in another is needed; so is a value a condition compares and a list it counts (a misspelt one would drop the sentence silently)', () => {
    expect(validate([send('tell_partner', 'tested-and-shown', { request: '{% $steps.request %}' })]).map((line) => /reads "(\w+)"/.exec(line)?.[1])).toEqual(['note', 'tier', 'comments']);
  });

  it('data written as one expression has keys known only at run time: the step is not judged', () => {
    expect(validate([send('tell_partner', 'partner-notice', '{% { "request": $steps.request } %}')])).toEqual([]);
  });

  it('approval.request: the names the action adds (approver_name, approve_url, deny_url, expires_at, expires_text) are given; a misspelt one is named, with the closest', () => {
    const ask = {
      id: 'ask',
      type: 'action',
      action: 'approval.request',
      input: { signal: 'decision', approver: { email: 'cmm@vendor.example' }, subject: 'MDF request', template: 'approval-ask', data: { request: '{% $steps.request %}' } },
    };
    expect(validate([ask, { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P2D' }])).toEqual([
      `${FILE}: steps[1].input.data: step "ask" renders email template "approval-ask", which reads "aprove_url", but the step's data has no "aprove_url": the email would show a blank there (did you mean "approve_url"?)`,
    ]);
  });

  it('a step inside a foreach or an if is named by its own id and path', () => {
    const each = { id: 'each_partner', type: 'foreach', items: '{% $steps.request.partners %}', as: 'partner', steps: [send('tell_each', 'partner-notice', { request: '{% $steps.request %}', activity: '{% partner.activity %}' })] };
    expect(validate([each])).toEqual([
      `${FILE}: steps[1].steps[0].input.data: step "tell_each" renders email template "partner-notice", which reads "partner_name", but the step's data has no "partner_name": the email would show a blank there`,
    ]);
  });
});

describe('a template chosen by an expression', () => {
  const shown = templatesDir;
  const chosen = (template: string, data: unknown = { request: '{% $steps.request %}', reason: 'over budget' }) => validate([send('tell_partner', template, data)]);

  it('checks each template name the expression can give as a literal (both sides of a condition), naming the one that does not exist and the closest', () => {
    expect(chosen("{% $steps.request.status = 'Approved' ? 'request-approved' : 'request-denid' %}")).toEqual([
      `${FILE}: steps[1].input.template: the expression can choose "request-denid", but there is no email template "request-denid" in ${shown}: a run that chooses it would fail at this step (did you mean "request-denied"?)`,
    ]);
    expect(chosen("{% $steps.request.status = 'Approved' ? 'request-approved' : 'request-denied' %}")).toEqual([]);
  });

  it('follows nested conditions, ?: and ??, blocks, a concatenation of literals and $lookup of an object written in the expression', () => {
    expect(chosen("{% $steps.request.status = 'Approved' ? 'request-approved' : ($steps.request.status = 'Denied' ? 'request-denied' : 'request-cancled') %}")).toEqual([
      `${FILE}: steps[1].input.template: the expression can choose "request-cancled", but there is no email template "request-cancled" in ${shown}: a run that chooses it would fail at this step`,
    ]);
    expect(chosen("{% $trigger.data.template ?: 'partner-notise' %}")).toEqual([
      `${FILE}: steps[1].input.template: the expression can choose "partner-notise", but there is no email template "partner-notise" in ${shown}: a run that chooses it would fail at this step (did you mean "partner-notice"?)`,
    ]);
    expect(chosen("{% $trigger.data.template ?? 'partner-notise' %}")).toEqual([
      `${FILE}: steps[1].input.template: the expression can choose "partner-notise", but there is no email template "partner-notise" in ${shown}: a run that chooses it would fail at this step (did you mean "partner-notice"?)`,
    ]);
    expect(chosen("{% ($approved := $steps.request.status = 'Approved'; 'request-' & ($approved ? 'approved' : 'denid')) %}")).toEqual([
      `${FILE}: steps[1].input.template: the expression can choose "request-denid", but there is no email template "request-denid" in ${shown}: a run that chooses it would fail at this step (did you mean "request-denied"?)`,
    ]);
    expect(chosen("{% $lookup({ 'Approved': 'request-approved', 'Denied': 'request-denid' }, $steps.request.status) %}")).toEqual([
      `${FILE}: steps[1].input.template: the expression can choose "request-denid", but there is no email template "request-denid" in ${shown}: a run that chooses it would fail at this step (did you mean "request-denied"?)`,
    ]);
  });

  it('checks the names each possible template reads against the step\'s data', () => {
    expect(chosen("{% $steps.request.status = 'Approved' ? 'request-approved' : 'request-denied' %}", { request: '{% $steps.request %}' })).toEqual([
      `${FILE}: steps[1].input.data: step "tell_partner" renders email template "request-denied", which reads "reason", but the step's data has no "reason": the email would show a blank there`,
    ]);
  });

  it('a name known only at run time (the trigger\'s payload, a step\'s output, text joined with one) is not judged; the literals beside it are', () => {
    expect(chosen('{% $trigger.data.template %}')).toEqual([]);
    expect(chosen("{% 'request-' & $steps.request.status %}")).toEqual([]);
    expect(chosen("{% $steps.request.urgent ? $trigger.data.template : 'request-approved' %}")).toEqual([]);
    expect(chosen("{% $steps.request.urgent ? $trigger.data.template : 'request-aproved' %}")).toEqual([
      `${FILE}: steps[1].input.template: the expression can choose "request-aproved", but there is no email template "request-aproved" in ${shown}: a run that chooses it would fail at this step (did you mean "request-approved"?)`,
    ]);
  });
});

describe('the functions an email template calls', () => {
  it('refuses a call of a function templates do not have, naming the template, the placeholder and the closest; JSONata\'s, $usd, $formatUsd and functions the template defines are fine', () => {
    expect(validate([send('tell_partner', 'claim-paid', { claim: '{% $steps.request %}' })])).toEqual([
      `${FILE}: steps[1].input.template: email template "claim-paid" calls $usdd in {{ $usdd(claim.amount) }}, which is not a function in email templates: a send fails there (did you mean "$usd"?)`,
      `${FILE}: steps[1].input.template: email template "claim-paid" calls $formatDate in {{ $formatDate(claim.paidOn) }}, which is not a function in email templates: a send fails there (did you mean "$formatBase"?)`,
      `${FILE}: steps[1].input.template: email template "claim-paid" calls $countryName in {{ $countryName(claim.country) }}, which recipe expressions have but email templates do not: a send fails there; give its value in the step's data`,
    ]);
  });

  it('also in a template an expression chooses', () => {
    const problems = validate([send('tell_partner', "{% $steps.request.paid ? 'claim-paid' : 'request-approved' %}", { claim: '{% $steps.request %}', request: '{% $steps.request %}' })]);
    expect(problems.map((line) => /^.*?: (email template "[\w-]+" calls \$\w+)/.exec(line)?.[1])).toEqual([
      'email template "claim-paid" calls $usdd',
      'email template "claim-paid" calls $formatDate',
      'email template "claim-paid" calls $countryName',
    ]);
  });
});

describe('a template name the recipe keeps in a variable or reads from a table', () => {
  const shown = templatesDir;
  /** What `partnerflow validate` prints for a recipe with these steps, against these tables. */
  const validateWith = (steps: unknown[], tables: Record<string, Record<string, unknown>[]> = {}) => {
    const recipe = { name: 'notify', version: 1, description: 'Tells the partner.', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' }, steps: [getRequest, ...steps] };
    const options = { catalog, tables: Object.keys(tables), connectorConfigs: connectors, tableRows: { rows: (name: string) => tables[name] } };
    return validateRecipe(recipe, FILE, options).problems.map(formatProblem);
  };
  const data = { request: '{% $steps.request %}', reason: 'over budget' };
  const set = (id: string, values: Record<string, unknown>) => ({ id, type: 'set', values });
  const notices = [
    { kind: 'approved', template: 'request-approved' },
    { kind: 'denied', template: 'request-denid' },
  ];
  const lookup = (where: unknown, extra: object = {}) => ({ id: 'notice', type: 'lookup', table: 'notices', where, ...extra });
  const denid = (step: string, via = '') =>
    `${FILE}: steps[${step}].input.template: step "tell_partner" can send email template "request-denid", ${via}from column template of table notices rows[1] (kind "denied"), read by lookup step "notice"; there is no email template "request-denid" in ${shown}: a run that reads that row would fail at this step (did you mean "request-denied"?)`;

  it('a later set step replaces what an earlier one set: only the value that reaches the send is checked', () => {
    const steps = [set('first', { template_name: 'request-aproved' }), set('second', { template_name: 'request-approved' }), send('tell_partner', '{% $vars.template_name %}', data)];
    expect(validateWith(steps)).toEqual([]);
    // Set after the send, it is not what the send reads.
    expect(validateWith([set('first', { template_name: 'request-approved' }), send('tell_partner', '{% $vars.template_name %}', data), set('second', { template_name: 'request-aproved' })])).toEqual([]);
  });

  it('a set step in one branch of an if may or may not have run: both values are checked, each named by the step that sets it', () => {
    const choose = { id: 'urgent', type: 'if', condition: '{% $steps.request.urgent %}', then: [set('pick_urgent', { template_name: 'request-aproved' })] };
    expect(validateWith([set('pick', { template_name: 'request-denied' }), choose, send('tell_partner', '{% $vars.template_name %}', data)])).toEqual([
      `${FILE}: steps[3].input.template: step "tell_partner" can send email template "request-aproved", set as $vars.template_name by step "pick_urgent"; there is no email template "request-aproved" in ${shown}: a run that sends it would fail at this step (did you mean "request-approved"?)`,
    ]);
  });

  it('follows a variable set from another variable, and $steps.<set step>.<name>', () => {
    const steps = [set('pick', { base: 'request-aproved' }), set('copy', { template_name: '{% $vars.base %}' }), send('tell_partner', '{% $steps.copy.template_name %}', data)];
    expect(validateWith(steps)).toEqual([
      `${FILE}: steps[3].input.template: step "tell_partner" can send email template "request-aproved", set as $vars.template_name by step "copy", set as $vars.base by step "pick"; there is no email template "request-aproved" in ${shown}: a run that sends it would fail at this step (did you mean "request-approved"?)`,
    ]);
  });

  it('reads every row of the column a lookup gives, also through $lookup(row, column), a row kept whole in a variable, and a foreach over the rows', () => {
    const where = { kind: '{% $steps.request.status %}' };
    expect(validateWith([lookup(where), send('tell_partner', "{% $lookup($steps.notice, 'template') %}", data)], { notices })).toEqual([denid('2')]);
    expect(validateWith([lookup(where), set('keep', { notice: '{% $steps.notice %}' }), send('tell_partner', '{% $vars.notice.template %}', data)], { notices })).toEqual([
      denid('3', 'set as $vars.notice by step "keep", '),
    ]);
    const each = { id: 'each_notice', type: 'foreach', items: '{% $steps.notice %}', as: 'row', steps: [send('tell_partner', '{% row.template %}', data)] };
    expect(validateWith([lookup(where, { mode: 'all' }), each], { notices })).toEqual([denid('2].steps[0')]);
  });

  it('a row whose cells differ from a value the lookup writes literally is never read: it is not checked', () => {
    expect(validateWith([lookup({ kind: 'approved' }), send('tell_partner', '{% $steps.notice.template %}', data)], { notices })).toEqual([]);
  });

  it('the templates the rows name are checked as a literal is: the names they read against the step\'s data', () => {
    const rows = [...notices.slice(0, 1), { kind: 'denied', template: 'request-denied' }];
    expect(validateWith([lookup({ kind: '{% $steps.request.status %}' }), send('tell_partner', '{% $steps.notice.template %}', { request: '{% $steps.request %}' })], { notices: rows })).toEqual([
      `${FILE}: steps[2].input.data: step "tell_partner" renders email template "request-denied", which reads "reason", but the step's data has no "reason": the email would show a blank there`,
    ]);
  });

  it('a name from the event, an action\'s output or a column the table does not have is not judged as a template; a literal beside it is', () => {
    expect(validateWith([set('pick', { template_name: '{% $trigger.data.template %}' }), send('tell_partner', '{% $vars.template_name %}', data)])).toEqual([]);
    expect(validateWith([set('pick', { template_name: '{% $steps.request.template %}' }), send('tell_partner', '{% $vars.template_name %}', data)])).toEqual([]);
    // A column the table does not have: not judged as a template, but named as the typo it is (check-data-fields.ts).
    expect(validateWith([lookup({ kind: '{% $steps.request.status %}' }), send('tell_partner', '{% $steps.notice.templat %}', data)], { notices })).toEqual([
      `${FILE}: steps[2].input.template: reads steps.notice.templat, but table notices has no column "templat" (did you mean "template"?); it is undefined in every run`,
    ]);
    // Not judged as a template either; what it is, a variable nothing sets, is said (review10: check-expressions.ts).
    expect(validateWith([send('tell_partner', '{% $vars.never_set %}', data)])).toEqual([
      `${FILE}: steps[1].input.template: reads $vars.never_set, but no set step of the recipe sets "never_set": it is undefined in every run`,
    ]);
    expect(validateWith([set('pick', { template_name: "{% $trigger.data.template ?: 'request-aproved' %}" }), send('tell_partner', '{% $vars.template_name %}', data)])).toEqual([
      `${FILE}: steps[2].input.template: step "tell_partner" can send email template "request-aproved", set as $vars.template_name by step "pick"; there is no email template "request-aproved" in ${shown}: a run that sends it would fail at this step (did you mean "request-approved"?)`,
    ]);
  });

  it('a row an enclosing if on the same lookup rules out is not followed (its condition is false for that row); a row it lets through still is', () => {
    const rows = [
      { kind: 'approved', template: 'request-approved', notify: true },
      { kind: 'denied', template: 'request-denid', notify: true },
      { kind: 'closed', template: 'n/a', notify: false },
    ];
    const where = { kind: '{% $steps.request.status %}' };
    const guarded = (condition: string) => ({ id: 'should_notify', type: 'if', condition, then: [send('tell_partner', '{% $steps.notice.template %}', data)] });
    // The reviewer's case: the "n/a" row is never sent; the misspelt row the if lets through still is named.
    expect(validateWith([lookup(where, { required: true }), guarded('{% $steps.notice.notify %}')], { notices: rows })).toEqual([denid('2].then[0')]);
    // A condition comparing the row's cells: only the rows it lets through.
    expect(validateWith([lookup(where), guarded("{% $steps.notice.kind != 'closed' and $steps.notice.kind != 'denied' %}")], { notices: rows })).toEqual([]);
    // Through a variable set from the row, the send's own if still rules the row out.
    expect(validateWith([lookup(where), set('keep', { template_name: '{% $steps.notice.template %}' }), guarded('{% $steps.notice.notify %}')].map((s) => (s as { id: string }).id === 'should_notify' ? { ...s, then: [send('tell_partner', '{% $vars.template_name %}', data)] } : s), { notices: rows })).toEqual([
      denid('3].then[0', 'set as $vars.template_name by step "keep", '),
    ]);
    // A condition that cannot be decided for a row (it also reads the event) rules nothing in: no false alarm.
    expect(validateWith([lookup(where), guarded('{% $steps.notice.notify and $trigger.data.notify %}')], { notices: rows })).toEqual([]);
    // A condition that does not read the lookup leaves every row in.
    expect(validateWith([lookup(where), guarded('{% $steps.request.urgent %}')], { notices: rows.slice(0, 2) })).toEqual([denid('2].then[0')]);
  });

  it('a row without a value in a column the lookup computes is not followed: a value of nothing matches no row, so the lookup never reads it (review 8, F1)', () => {
    const send1 = send('tell_partner', '{% $steps.notice.template %}', data);
    expect(validateWith([lookup({ kind: '{% $steps.request.status %}' }), send1], { notices })).toEqual([denid('2')]);
    const unkeyed = [notices[0]!, { template: 'request-denid' }, { kind: null, template: 'request-denid' }];
    expect(validateWith([lookup({ kind: '{% $steps.request.status %}' }), send1], { notices: unkeyed })).toEqual([]);
  });

  it('in an else branch a row is followed only when the condition is false for it', () => {
    const rows = [
      { kind: 'denied', template: 'request-denid', skip: false },
      { kind: 'closed', template: 'n/a', skip: true },
    ];
    const branch = { id: 'should_skip', type: 'if', condition: '{% $steps.notice.skip %}', then: [set('skipped', { skipped: true })], else: [send('tell_partner', '{% $steps.notice.template %}', data)] };
    expect(validateWith([lookup({ kind: '{% $steps.request.status %}' }), branch], { notices: rows })).toEqual([
      `${FILE}: steps[2].else[0].input.template: step "tell_partner" can send email template "request-denid", from column template of table notices rows[0] (kind "denied"), read by lookup step "notice"; there is no email template "request-denid" in ${shown}: a run that reads that row would fail at this step (did you mean "request-denied"?)`,
    ]);
  });

  it('a variable a foreach sets from itself is followed once round, not forever', () => {
    const each = { id: 'each_partner', type: 'foreach', items: '{% $steps.request.partners %}', steps: [set('grow', { template_name: "{% $vars.template_name & '-again' %}" })] };
    expect(validateWith([set('pick', { template_name: 'request' }), each, send('tell_partner', '{% $vars.template_name %}', data)])).toEqual([
      `${FILE}: steps[3].input.template: step "tell_partner" can send email template "request", set as $vars.template_name by step "pick"; there is no email template "request" in ${shown}: a run that sends it would fail at this step`,
    ]);
  });
});

describe('a foreach over a list of template names a set step writes', () => {
  it('checks each item the send can get, named by the set step', () => {
    const recipe = {
      name: 'notify',
      version: 1,
      description: 'Sends each notice of a list.',
      trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
      steps: [
        getRequest,
        { id: 'notices', type: 'set', values: { names: ['request-approved', 'request-denid'], kinds: [{ template: 'request-aproved' }] } },
        { id: 'each_name', type: 'foreach', items: '{% $vars.names %}', as: 'name', steps: [send('tell_partner', '{% name %}', { request: '{% $steps.request %}', reason: 'x' })] },
        { id: 'each_kind', type: 'foreach', items: '{% $vars.kinds %}', as: 'kind', steps: [send('tell_again', '{% kind.template %}', { request: '{% $steps.request %}' })] },
      ],
    };
    expect(validateRecipe(recipe, FILE, { catalog, tables: [], connectorConfigs: connectors }).problems.map(formatProblem)).toEqual([
      `${FILE}: steps[2].steps[0].input.template: step "tell_partner" can send email template "request-denid", set as $vars.names by step "notices"; there is no email template "request-denid" in ${templatesDir}: a run that sends it would fail at this step (did you mean "request-denied"?)`,
      `${FILE}: steps[3].steps[0].input.template: step "tell_again" can send email template "request-aproved", set as $vars.kinds by step "notices"; there is no email template "request-aproved" in ${templatesDir}: a run that sends it would fail at this step (did you mean "request-approved"?)`,
    ]);
  });
});
