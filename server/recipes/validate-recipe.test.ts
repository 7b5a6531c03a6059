import { describe, expect, it } from 'vitest';
import type { RecipeInput, Step } from '../../schemas/recipe.ts';
import { fakeCatalog } from './fixtures/fake-connectors.ts';
import { formatProblem } from './recipe-problem.ts';
import { validateRecipe } from './validate-recipe.ts';

const FILE = 'recipes/test.recipe.json';

function recipe(steps: unknown[], extra: Record<string, unknown> = {}): RecipeInput {
  return {
    name: 'test-recipe',
    version: 1,
    description: 'a recipe under test',
    trigger: { type: 'webhook', event: 'crm.account.changed' },
    steps: steps as Step[],
    ...extra,
  } as RecipeInput;
}

/** The lines `partnerflow validate` would print for this recipe. */
function problems(data: unknown, tables: string[] = ['owners']): string[] {
  return validateRecipe(data, FILE, { catalog: fakeCatalog(), tables }).problems.map(formatProblem);
}

const getAccount = { id: 'account', type: 'action', action: 'crm.get_account', input: { account_id: '{% $trigger.data.id %}' } };
/** A step whose decision answers the `wait_for` signal `signal` (as approval.request does). */
const askOwner = (signal: string, id = 'ask') => ({ id, type: 'action', action: 'crm.ask_owner', input: { signal, to: 'owner@example.com' } });

describe('validateRecipe', () => {
  it('accepts a valid recipe and returns its parsed definition', () => {
    const result = validateRecipe(recipe([getAccount, { id: 'done', type: 'stop' }]), FILE, { catalog: fakeCatalog(), tables: [] });
    expect(result.problems).toEqual([]);
    expect(result.definition?.steps[1]).toEqual({ id: 'done', type: 'stop', status: 'completed' });
  });

  describe('schema', () => {
    it('reports every schema issue with its JSON path', () => {
      const data = recipe([
        { id: 'Bad-Id', type: 'stop' },
        { id: 'check', type: 'if', condition: 'data.ok', then: [{ id: 'x', type: 'stop', extra: true }] },
      ]);
      expect(problems(data)).toEqual([
        `${FILE}: steps[0].id: a step id is snake_case, starting with a letter`,
        `${FILE}: steps[1].condition: an expression is written {% … %}`,
        `${FILE}: steps[1].then[0]: unknown key "extra"; the keys here are: id, description, type, status, reason`,
      ]);
    });

    it('answers a misspelt key with the key meant, in the trigger, cancel_on, any step (nested ones too) and at the top', () => {
      const data = {
        ...recipe([
          { id: 'pick', type: 'set', valuse: { a: 1 } },
          { id: 'check', type: 'if', condition: '{% true %}', then: [{ id: 'later', type: 'wait', forr: 'PT1H' }] },
        ]),
        trigger: { type: 'webhook', event: 'crm.account.changed', dedupkey: '{% data.id %}' },
        cancel_on: { event: 'crm.account.changed', fitler: '{% true %}' },
        stesp: [],
      };
      expect(problems(data)).toEqual([
        `${FILE}: trigger: unknown key "dedupkey" (did you mean "dedup_key"?)`,
        `${FILE}: cancel_on: unknown key "fitler" (did you mean "filter"?)`,
        `${FILE}: steps[0].values: missing (expected record)`,
        `${FILE}: steps[0]: unknown key "valuse" (did you mean "values"?)`,
        `${FILE}: steps[1].then[0]: unknown key "forr" (did you mean "for"?)`,
        `${FILE}: steps[1].then[0]: a wait has exactly one of \`for\` or \`until\``,
        `${FILE}: (root): unknown key "stesp" (did you mean "steps"?)`,
      ]);
    });

    it('names the step types when a type is unknown, and says what is missing', () => {
      expect(problems(recipe([{ id: 'a', type: 'actoin' }, { type: 'stop' }]))).toEqual([
        `${FILE}: steps[0].type: unknown type "actoin" (did you mean "action"?); one of: action, if, foreach, lookup, set, wait, wait_for, stop`,
        `${FILE}: steps[1].id: missing (expected string)`,
      ]);
    });

    it('says how to write a wait_for event given as its name alone (review10)', () => {
      // A trigger names its event as a string; a wait_for's event also needs the key that ties it to this run.
      expect(problems(recipe([{ id: 'claim', type: 'wait_for', event: 'prm.mdf_claim.submitted', timeout: 'P10D' }]))).toEqual([
        `${FILE}: steps[0].event: an object naming the event and the business key it must carry, e.g. { "name": "prm.mdf_claim.submitted", "key": "{% $trigger.data.mdfNumber %}" }`,
      ]);
    });

    it('names the trigger type meant, and says a type is missing (review10)', () => {
      expect(problems({ ...recipe([{ id: 'done', type: 'stop' }]), trigger: { type: 'webhok', event: 'crm.account.changed' } })).toEqual([
        `${FILE}: trigger.type: unknown type "webhok" (did you mean "webhook"?); one of: webhook, poll, schedule, timer, run`,
      ]);
      expect(problems(recipe([{ id: 'done' }]))).toEqual([`${FILE}: steps[0].type: missing; one of: action, if, foreach, lookup, set, wait, wait_for, stop`]);
    });

    it('explains a value that fits no branch of a union, or the branch it meant', () => {
      const data = recipe([
        { ...getAccount, on_error: 'retry' },
        { id: 'pause', type: 'wait', for: { days: 2 } },
      ]);
      expect(problems(data)).toEqual([
        `${FILE}: steps[0].on_error: Invalid input: expected "fail", "continue" or an object`,
        `${FILE}: steps[1].for.business_days: missing (expected a number or a string)`,
        `${FILE}: steps[1].for: unknown key "days"; the keys here are: business_days`,
      ]);
    });
    it('refuses a foreach item named after what expressions already have, which it would hide in the loop', () => {
      const loop = (as: string) => ({ id: 'each', type: 'foreach', items: '{% [1, 2] %}', as, steps: [{ id: 'show', type: 'set', values: { n: `{% ${as} %}` } }] });
      expect(problems(recipe([loop('steps'), loop('index'), loop('now')].map((step, i) => ({ ...step, id: `each_${i}` }))))).toEqual([
        `${FILE}: steps[0].as: "steps" is taken: expressions already have steps (the steps' results), which an item of that name would hide in this foreach's steps; name the item something else`,
        `${FILE}: steps[1].as: "index" is taken: expressions already have index (the item's position), which would hide an item of that name; name the item something else`,
        `${FILE}: steps[2].as: "now" is taken: expressions already have $now(), which an item of that name would hide in this foreach's steps; name the item something else`,
      ]);
      for (const taken of ['trigger', 'vars', 'run', 'error', 'millis', 'today']) expect(problems(recipe([loop(taken)]))).toHaveLength(1);
      expect(problems(recipe([loop('row')]))).toEqual([]);
    });
    it("names a foreach's item or index misspelt in its steps, which reads nothing in every pass", () => {
      const each = (as: string | undefined, value: string) => ({ id: 'each', type: 'foreach', items: '{% [{"email": "a@example.com"}] %}', ...(as ? { as } : {}), steps: [{ id: 'show', type: 'set', values: { v: value } }] });
      expect(problems(recipe([each('lead', '{% $laed.email %}')]))).toEqual([
        `${FILE}: steps[0].steps[0].values.v: reads $laed, which nothing binds here (did you mean "$lead", the foreach's item?): it is undefined in every pass`,
      ]);
      expect(problems(recipe([each(undefined, '{% $itme.email & " " & $idnex %}')]))).toEqual([
        `${FILE}: steps[0].steps[0].values.v: reads $itme, which nothing binds here (did you mean "$item", the foreach's item?): it is undefined in every pass`,
        `${FILE}: steps[0].steps[0].values.v: reads $idnex, which nothing binds here (did you mean "$index", the foreach's index?): it is undefined in every pass`,
      ]);
      // Names the expression binds itself, the run's scope and the functions are not typos.
      for (const fine of ['{% ($iten := $item; $iten.email) %}', '{% $map([$item], function($iten) { $iten.email }) %}', '{% $item.email & $string($index) & $vars.x %}', '{% $lead.email %}']) {
        expect(problems(recipe([{ id: 'x', type: 'set', values: { x: 1 } }, each(fine.includes('$lead') ? 'lead' : undefined, fine)]))).toEqual([]);
      }
    });
  });

  describe('step ids', () => {
    it('rejects an id used twice anywhere in the recipe, naming where it was first used', () => {
      const data = recipe(
        [
          getAccount,
          { id: 'check', type: 'if', condition: '{% true %}', then: [{ id: 'account', type: 'stop' }] },
          { id: 'each', type: 'foreach', items: '{% [1,2] %}', steps: [{ id: 'check', type: 'set', values: { a: 1 } }] },
          { id: 'later', type: 'wait_for', signal: 'go', timeout: 'P1D', on_timeout: [{ id: 'each', type: 'stop' }] },
          { ...getAccount, id: 'again', on_error: { steps: [{ id: 'later', type: 'stop' }] } },
          askOwner('go'),
        ],
        { on_error: { steps: [{ id: 'again', type: 'stop' }] } },
      );
      expect(problems(data)).toEqual([
        `${FILE}: steps[1].then[0].id: step id "account" is already used by steps[0]`,
        `${FILE}: steps[2].steps[0].id: step id "check" is already used by steps[1]`,
        `${FILE}: steps[3].on_timeout[0].id: step id "each" is already used by steps[2]`,
        `${FILE}: steps[4].on_error.steps[0].id: step id "later" is already used by steps[3]`,
        `${FILE}: on_error.steps[0].id: step id "again" is already used by steps[4]`,
      ]);
    });
  });

  describe('connectors', () => {
    it('rejects an unknown action, suggesting the closest one', () => {
      expect(problems(recipe([{ id: 'a', type: 'action', action: 'crm.get_acount', input: {} }]))).toEqual([
        `${FILE}: steps[0].action: unknown action "crm.get_acount" (did you mean "crm.get_account"?)`,
      ]);
      expect(problems(recipe([{ id: 'a', type: 'action', action: 'crm.delete_everything' }]))).toEqual([
        `${FILE}: steps[0].action: unknown action "crm.delete_everything"; crm has: get_account, update_account, send, ask_owner, search`,
      ]);
    });

    it('rejects an unknown connector, listing the known ones', () => {
      expect(problems(recipe([{ id: 'a', type: 'action', action: 'erp.get_account' }]))).toEqual([
        `${FILE}: steps[0].action: unknown connector "erp" in action "erp.get_account"; connectors: crm`,
      ]);
    });

    it('rejects an unknown trigger event', () => {
      const data = recipe([{ id: 'done', type: 'stop' }], { trigger: { type: 'webhook', event: 'crm.account.chnaged' } });
      expect(problems(data)).toEqual([`${FILE}: trigger.event: unknown event "crm.account.chnaged" (did you mean "crm.account.changed"?)`]);
    });

    it('rejects an unknown cancel_on event, and one that cannot say which run it is about', () => {
      const unknown = recipe([{ id: 'done', type: 'stop' }], { cancel_on: { event: 'crm.account.closed' } });
      expect(problems(unknown)).toEqual([`${FILE}: cancel_on.event: unknown event "crm.account.closed"; crm has: account.changed, account.viewed`]);
      const uncorrelated = recipe([{ id: 'done', type: 'stop' }], { cancel_on: { event: 'crm.account.viewed' } });
      expect(problems(uncorrelated)).toEqual([`${FILE}: cancel_on.event: crm.account.viewed carries no correlation key, so it can never cancel a run`]);
    });

    it('rejects a wait_for event that does not exist', () => {
      const data = recipe([{ id: 'wait', type: 'wait_for', event: { name: 'crm.account.deleted', key: '{% $trigger.data.id %}' } }]);
      expect(problems(data)).toEqual([`${FILE}: steps[0].event.name: unknown event "crm.account.deleted"; crm has: account.changed, account.viewed`]);
    });

    it('rejects a poll trigger whose action does not exist', () => {
      const trigger = { type: 'poll', action: 'crm.list_accounts', every: 'PT5M', cursor: '{% updated %}', dedup_key: '{% id %}' };
      expect(problems(recipe([{ id: 'done', type: 'stop' }], { trigger }))).toEqual([
        `${FILE}: trigger.action: unknown action "crm.list_accounts"; crm has: get_account, update_account, send, ask_owner, search`,
      ]);
    });
  });

  describe('signals', () => {
    it('refuses a wait_for whose signal no step sends, and the step whose signal no wait_for waits for, naming both', () => {
      const data = recipe([askOwner('decision'), { id: 'answer', type: 'wait_for', signal: 'desicion', timeout: 'P2D' }]);
      expect(problems(data)).toEqual([
        `${FILE}: steps[0].input.signal: step "ask" (crm.ask_owner) sends its decision as signal "decision", but no wait_for of this recipe waits for it, so the decision would be lost; wait_for step "answer" (steps[1]) waits for "desicion"`,
        `${FILE}: steps[1].signal: step "answer" waits for signal "desicion", but no step of this recipe sends it, so it can only time out (did you mean "decision"? step "ask" (steps[0], crm.ask_owner) sends it)`,
      ]);
    });

    it('refuses a wait_for signal when nothing in the recipe sends a signal, saying which actions do', () => {
      expect(problems(recipe([{ id: 'answer', type: 'wait_for', signal: 'go', timeout: 'P1D' }]))).toEqual([
        `${FILE}: steps[0].signal: step "answer" waits for signal "go", but no step of this recipe sends it, so it can only time out; a signal is sent by crm.ask_owner`,
      ]);
    });

    it('pairs signals anywhere in the recipe, and leaves a signal computed at run time to the run', () => {
      const nested = recipe([
        { id: 'check', type: 'if', condition: '{% true %}', then: [askOwner('first')], else: [askOwner('second', 'ask_again')] },
        { id: 'first_answer', type: 'wait_for', signal: 'first', timeout: 'P1D', on_timeout: [{ id: 'second_answer', type: 'wait_for', signal: 'second' }] },
      ]);
      expect(problems(nested)).toEqual([]);
      const computed = recipe([askOwner('{% $trigger.data.status = "Active" ? "yes" : "no" %}'), { id: 'answer', type: 'wait_for', signal: 'yes' }]);
      expect(problems(computed)).toEqual([]);
    });
  });

  describe('poll triggers', () => {
    const poll = (over: Record<string, unknown>) => ({ type: 'poll', action: 'crm.search', every: 'PT5M', cursor: '{% updated %}', dedup_key: '{% id %}', ...over });

    it('refuses a poll trigger whose action takes no watermark (`since`), naming trigger.action', () => {
      expect(problems(recipe([{ id: 'done', type: 'stop' }], { trigger: poll({ action: 'crm.get_account', input: { account_id: 'A-1' } }) }))).toEqual([
        `${FILE}: trigger.action: crm.get_account cannot be polled: it has no \`since\` input to take the watermark (a poll action takes since and page and answers { items, next_page })`,
      ]);
    });

    it("refuses a recipe that sets the watermark itself, naming trigger.input.since", () => {
      expect(problems(recipe([{ id: 'done', type: 'stop' }], { trigger: poll({ input: { since: '2026-01-01' } }) }))).toEqual([
        `${FILE}: trigger.input.since: since is the watermark, set by the poll runtime at each poll; remove it from the recipe's input`,
      ]);
    });

    it('checks a correlation_key (the runs\' business key) as the other key expressions: compiled, functions known, no step read (review8 F4)', () => {
      const stop = [{ id: 'done', type: 'stop' }];
      expect(problems(recipe(stop, { trigger: poll({ input: { page: 1 }, correlation_key: '{% $uppercase(account_id) %}' }) }))).toEqual([]);
      expect(problems(recipe(stop, { trigger: poll({ input: { page: 1 }, correlation_key: '{% $uppercse(account_id) %}' }) }))).toEqual([
        `${FILE}: trigger.correlation_key: calls $uppercse, which is not a function (did you mean "$uppercase"?): a run would fail there`,
      ]);
      expect(problems(recipe(stop, { trigger: poll({ input: { page: 1 }, correlation_key: '{% $steps.done.id %}' }) }))).toEqual([
        `${FILE}: trigger.correlation_key: reads steps.done, but trigger is evaluated on the event alone: no step has run for it`,
      ]);
      expect(problems(recipe(stop, { trigger: poll({ input: { page: 1 }, correlation_key: '{% account_id & %}' }) }))).toHaveLength(1);
      expect(problems(recipe(stop, { trigger: poll({ input: { page: 1 }, correlation_key: 'MDF-1001' }) }))[0]).toMatch(/^recipes\/.*trigger\.correlation_key/);
    });
  });

  describe('action input', () => {
    const update = (input: unknown) => recipe([getAccount, { id: 'update', type: 'action', action: 'crm.update_account', input }]);

    it('accepts expressions for any field, and literals that fit', () => {
      expect(problems(update({ account_id: '{% $steps.account.id %}', status: 'Closed', fields: { Title: '{% "x" %}', Amount: 5 }, note: null }))).toEqual([]);
    });

    it('rejects a required field missing from the mapping, also inside a nested object', () => {
      expect(problems(update({ status: 'Closed', fields: { Amount: 3 } }))).toEqual([
        `${FILE}: steps[1].input.account_id: required by crm.update_account but missing`,
        `${FILE}: steps[1].input.fields.Title: required by crm.update_account but missing`,
      ]);
    });

    it('treats a step without input as an empty mapping', () => {
      expect(problems(recipe([{ id: 'account', type: 'action', action: 'crm.get_account' }]))).toEqual([
        `${FILE}: steps[0].input.account_id: required by crm.get_account but missing`,
      ]);
    });

    it('rejects a field the schema does not have, suggesting the closest', () => {
      expect(problems(update({ account_id: 'A-1', status: 'Closed', fields: { Titel: '{% "x" %}' }, notes: 'hi' }))).toEqual([
        `${FILE}: steps[1].input.fields.Title: required by crm.update_account but missing`,
        `${FILE}: steps[1].input.fields.Titel: crm.update_account has no input field "fields.Titel" (did you mean "Title"?)`,
        `${FILE}: steps[1].input.notes: crm.update_account has no input field "notes" (did you mean "note"?)`,
      ]);
    });

    it('rejects unknown fields of non-strict schemas too, which zod would silently drop', () => {
      expect(problems(recipe([{ ...getAccount, input: { account_id: 'A-1', contacts: true } }]))).toEqual([
        `${FILE}: steps[0].input.contacts: crm.get_account has no input field "contacts"`,
      ]);
    });

    it('checks literal values against their field schema, skipping expressions', () => {
      expect(problems(update({ account_id: '', status: 'Open', fields: { Title: '{% "x" %}', Amount: -1 } }))).toEqual([
        `${FILE}: steps[1].input.account_id: Too small: expected string to have >=1 characters`,
        `${FILE}: steps[1].input.status: Invalid option: expected one of "Active"|"Closed"`,
        `${FILE}: steps[1].input.fields.Amount: Too small: expected number to be >=0`,
      ]);
    });

    it('checks the literal items of a list that also holds expressions', () => {
      const data = recipe([getAccount, { id: 'send', type: 'action', action: 'crm.send', input: { to: ['{% $steps.account.owner_email %}', 'not-an-email'], template: 't' } }]);
      expect(problems(data)).toEqual([`${FILE}: steps[1].input.to[1]: Invalid email address`]);
    });

    it('checks a whole input given as one literal where the schema is not an object', () => {
      const trigger = (input: unknown) => ({ type: 'poll', action: 'crm.search', input, every: 'PT5M', cursor: '{% updated %}', dedup_key: '{% id %}' });
      expect(problems(recipe([{ id: 'done', type: 'stop' }], { trigger: trigger({ page: '{% 1 %}' }) }))).toEqual([]);
      expect(problems(recipe([{ id: 'done', type: 'stop' }], { trigger: trigger({ page: 'one' }) }))).toEqual([
        `${FILE}: trigger.input: Invalid input`,
      ]);
    });
  });

  describe("an action's own input check", () => {
    const send = (template: string) => recipe([getAccount, { id: 'send', type: 'action', action: 'crm.send', input: { to: ['a@example.com'], template } }]);
    const check = (data: unknown) =>
      validateRecipe(data, FILE, { catalog: fakeCatalog(), tables: [], connectorConfigs: { crm: { templates: ['welcome', 'goodbye'] } } }).problems.map(formatProblem);

    it('reports what the action finds against the given settings, at its path in the input, with a suggestion', () => {
      expect(check(send('welcom'))).toEqual([`${FILE}: steps[1].input.template: no template "welcom" (did you mean "welcome"?)`]);
      expect(check(send('hello'))).toEqual([`${FILE}: steps[1].input.template: no template "hello"`]);
    });

    it('passes a name the settings know and a name computed at run time', () => {
      expect(check(send('goodbye'))).toEqual([]);
      expect(check(send("{% 'good' & 'bye' %}"))).toEqual([]);
    });

    it('skips the checks that need settings when none are given: nothing is read from the environment', () => {
      expect(problems(send('welcom'))).toEqual([]);
    });
  });

  describe('expressions', () => {
    it('reports an expression that does not compile, with the JSONata message and the path', () => {
      const data = recipe([getAccount, { id: 'check', type: 'if', condition: '{% $steps.account.id = %}', then: [{ id: 'done', type: 'stop' }] }]);
      expect(problems(data)).toEqual([`${FILE}: steps[1].condition: Unexpected end of expression at position 19 in {% $steps.account.id = %}`]);
    });

    it('rejects a call of a function that is neither JSONata\'s nor the runtime\'s, suggesting the closest; functions the expression defines are fine', () => {
      const data = recipe([{ id: 'due', type: 'set', values: { at: '{% $adBusinessDays($now(), 2) %}', fine: '{% ($twice := function($n) { $n * 2 }; $twice($count([1]))) %}', money: '{% $usd(10) %}' } }]);
      expect(problems(data)).toEqual([`${FILE}: steps[0].values.at: calls $adBusinessDays, which is not a function (did you mean "$addBusinessDays"?): a run would fail there`]);
    });

    it('checks expressions everywhere: triggers, filters, nested input, set values, lookups', () => {
      const data = recipe(
        [
          { id: 'account', type: 'action', action: 'crm.get_account', input: { account_id: '{% $trigger.data.id & %}' } },
          { id: 'vars', type: 'set', values: { when: '{% $now( %}' } },
          { id: 'owner', type: 'lookup', table: 'owners', where: '{% email = = 1 %}' },
        ],
        { trigger: { type: 'webhook', event: 'crm.account.changed', filter: '{% data.status = ) %}' } },
      );
      expect(problems(data).map((line) => line.split(': ').slice(0, 2).join(': '))).toEqual([
        `${FILE}: trigger.filter`,
        `${FILE}: steps[0].input.account_id`,
        `${FILE}: steps[1].values.when`,
        `${FILE}: steps[2].where`,
      ]);
    });

    it('rejects a reference to a step the recipe does not have, with or without $', () => {
      const data = recipe([
        getAccount,
        { id: 'send', type: 'action', action: 'crm.send', input: { to: ['{% $steps.acount.owner_email %}'], template: '{% steps.owner.name %}' } },
      ]);
      expect(problems(data)).toEqual([
        `${FILE}: steps[1].input.to[0]: reads steps.acount, but no step has the id "acount" (did you mean "account"?)`,
        `${FILE}: steps[1].input.template: reads steps.owner, but no step has the id "owner"`,
      ]);
    });

    it('accepts references to nested steps and to steps of on_error', () => {
      const data = recipe(
        [{ id: 'check', type: 'if', condition: '{% true %}', then: [getAccount] }, { id: 'show', type: 'set', values: { id: '{% $steps.account.id %}' } }],
        { on_error: { steps: [{ id: 'report', type: 'set', values: { failed: '{% $steps.show.id %}' } }] } },
      );
      expect(problems(data)).toEqual([]);
    });

    it("names the step of $steps['id'], which JSONata reads as a filter, not the field after it", () => {
      const data = recipe([getAccount, { id: 'show', type: 'set', values: { a: "{% $steps['zzz'].id %}", b: "{% $steps['account'] %}", c: '{% $steps.`account`.id %}' } }]);
      expect(problems(data)).toEqual([
        `${FILE}: steps[1].values.a: reads steps['zzz'], which JSONata takes as a filter over all steps, not as step "zzz": write $steps.zzz; no step has the id "zzz"`,
        `${FILE}: steps[1].values.b: reads steps['account'], which JSONata takes as a filter over all steps, not as step "account": write $steps.account`,
      ]);
    });

    it('rejects a read of a step that comes later, naming both steps', () => {
      const data = recipe([
        { id: 'early', type: 'set', values: { owner: '{% $steps.account.owner_email %}' } },
        getAccount,
        { id: 'check', type: 'if', condition: '{% true %}', then: [{ id: 'inner', type: 'set', values: { x: '{% $steps.late.x %}' } }] },
        { id: 'late', type: 'set', values: { x: 1 } },
      ]);
      expect(problems(data)).toEqual([
        `${FILE}: steps[0].values.owner: reads steps.account, but step "account" (steps[1]) comes after this step "early" (steps[0]), so steps.account is always empty here`,
        `${FILE}: steps[2].then[0].values.x: reads steps.late, but step "late" (steps[3]) comes after this step "inner" (steps[2].then[0]), so steps.late is always empty here`,
      ]);
    });

    it('rejects reads a step can never see: itself, its own nested steps, the other branch, the recipe on_error, a later step of a loop', () => {
      const data = recipe(
        [
          { ...getAccount, input: { account_id: '{% $steps.account.id %}' } },
          { id: 'check', type: 'if', condition: '{% $steps.approved.ok %}', then: [{ id: 'approved', type: 'set', values: { ok: true } }], else: [{ id: 'denied', type: 'set', values: { was: '{% $steps.approved.ok %}' } }] },
          { id: 'each', type: 'foreach', items: '{% [1, 2] %}', steps: [{ id: 'first', type: 'set', values: { y: '{% $steps.second.y %}' } }, { id: 'second', type: 'set', values: { y: 1 } }] },
          { id: 'summary', type: 'set', values: { failed: '{% $steps.report.failed %}' } },
        ],
        { on_error: { steps: [{ id: 'report', type: 'set', values: { failed: true } }] }, trigger: { type: 'webhook', event: 'crm.account.changed', filter: '{% $steps.account.id %}' } },
      );
      expect(problems(data)).toEqual([
        `${FILE}: trigger.filter: reads steps.account, but trigger is evaluated on the event alone: no step has run for it`,
        `${FILE}: steps[0].input.account_id: reads steps.account, but that is the result of this very step "account" (steps[0]), which does not exist until it has finished`,
        `${FILE}: steps[1].condition: reads steps.approved, but step "approved" (steps[1].then[0]) is nested in this step "check" (steps[1]), so it runs after this is evaluated`,
        `${FILE}: steps[1].else[0].values.was: reads steps.approved, but step "approved" (steps[1].then[0]) is in the then branch of "check" and this step "denied" (steps[1].else[0]) in its else branch: only one of them runs, so steps.approved is always empty here`,
        `${FILE}: steps[2].steps[0].values.y: reads steps.second, but step "second" (steps[2].steps[1]) comes after this step "first" (steps[2].steps[0]), so steps.second is empty here or left over from an earlier item of foreach "each", never this item's`,
        `${FILE}: steps[3].values.failed: reads steps.report, but step "report" (on_error.steps[0]) is in the recipe's on_error, which runs only after the steps have failed, so steps.report is always empty in step "summary" (steps[3])`,
      ]);
    });

    it('accepts reads of earlier steps and their nested steps, and of the steps a step sits in', () => {
      const data = recipe(
        [
          { id: 'check', type: 'if', condition: '{% true %}', then: [getAccount], else: [{ id: 'fallback', type: 'set', values: { branch: '{% $steps.check.branch %}' } }] },
          {
            id: 'each',
            type: 'foreach',
            items: '{% [$steps.account.id] %}',
            steps: [
              { id: 'count', type: 'set', values: { n: '{% $steps.each.count %}' } },
              { id: 'twice', type: 'set', values: { n: '{% $steps.count.n * 2 %}' } },
            ],
          },
          {
            id: 'update',
            type: 'action',
            action: 'crm.update_account',
            input: { account_id: '{% $steps.account.id %}', status: 'Closed', fields: { Title: '{% $string($steps.twice.n) %}' } },
            on_error: { steps: [{ id: 'why', type: 'set', values: { error: '{% $steps.update.error.message %}' } }], then: 'continue' },
          },
          askOwner('go'),
          { id: 'answer', type: 'wait_for', signal: 'go', timeout: 'P1D', on_timeout: [{ id: 'late', type: 'set', values: { t: '{% $steps.answer.timed_out %}' } }] },
          { id: 'done', type: 'set', values: { why: '{% $steps.why.error %}', late: '{% $steps.late.t %}', fallback: '{% $steps.fallback.branch %}' } },
        ],
        { on_error: { steps: [{ id: 'report', type: 'set', values: { at: '{% $steps.done.why %}' } }] } },
      );
      expect(problems(data)).toEqual([]);
    });
  });

  describe('what an expression reads without $', () => {
    it('takes steps.<id> in a lookup where expression as a column of each row; only $steps.<id> is a step', () => {
      const owner = (where: unknown) => recipe([getAccount, { id: 'owner', type: 'lookup', table: 'owners', where }, { id: 'later', type: 'stop' }]);
      expect(problems(owner('{% steps.region = $steps.account.region and steps.count > 1 %}'))).toEqual([]);
      expect(problems(owner('{% email = $steps.acount.owner_email or email = $steps.later.x %}'))).toEqual([
        `${FILE}: steps[1].where: reads steps.acount, but no step has the id "acount" (did you mean "account"?)`,
        `${FILE}: steps[1].where: reads steps.later, but step "later" (steps[2]) comes after this step "owner" (steps[1]), so steps.later is always empty here`,
      ]);
      // A where mapping is evaluated against the run scope, as other step fields are.
      expect(problems(owner({ region: '{% steps.region %}' }))).toEqual([`${FILE}: steps[1].where.region: reads steps.region, but no step has the id "region"`]);
    });

    it("takes steps.<id> in the trigger's and cancel_on's expressions as a field of the event; $steps there is never filled", () => {
      const data = recipe([getAccount], {
        trigger: { type: 'webhook', event: 'crm.account.changed', filter: '{% steps.region = "EMEA" %}', dedup_key: '{% $steps.account.id %}' },
        cancel_on: { event: 'crm.account.changed', filter: '{% steps.closed and $$.steps.closed %}' },
      });
      expect(problems(data)).toEqual([`${FILE}: trigger.dedup_key: reads steps.account, but trigger is evaluated on the event alone: no step has run for it`]);
    });

    it('takes steps.<id> as a field of what a path, a filter or a grouping has reached, not of the run scope', () => {
      const data = recipe([
        getAccount,
        { id: 'show', type: 'set', values: { a: '{% $trigger.data.lines[steps.count > 1].(steps.name) %}', b: '{% $trigger.data.lines{ id: steps.count } %}', c: '{% $map($trigger.data.lines, function($l) { steps.gone }) %}' } },
        // Started by another recipe: its data (the lines) is that recipe's input, which no schema describes.
      ], { trigger: { type: 'run' } });
      expect(problems(data)).toEqual([`${FILE}: steps[1].values.c: reads steps.gone, but no step has the id "gone"`]);
    });
  });

  describe('the reads a loop leaves over from an earlier item', () => {
    // Step "check" is an if inside foreach "each": a read it refuses is empty for the first item only.
    const loop = (check: Record<string, unknown>) => recipe([{ id: 'each', type: 'foreach', items: '{% [1, 2] %}', steps: [{ id: 'check', type: 'if', condition: '{% item > 1 %}', ...check }] }]);
    const set = (id: string, value: string) => ({ id, type: 'set', values: { x: value } });

    it('says so for a later step of the same branch, the other branch, the step itself and a nested step', () => {
      expect(problems(loop({ then: [set('first', '{% $steps.second.x %}'), set('second', '{% 1 %}')] }))).toEqual([
        `${FILE}: steps[0].steps[0].then[0].values.x: reads steps.second, but step "second" (steps[0].steps[0].then[1]) comes after this step "first" (steps[0].steps[0].then[0]), so steps.second is empty here or left over from an earlier item of foreach "each", never this item's`,
      ]);
      expect(problems(loop({ then: [set('yes', '{% 1 %}')], else: [set('no', '{% $steps.yes.x %}')] }))).toEqual([
        `${FILE}: steps[0].steps[0].else[0].values.x: reads steps.yes, but step "yes" (steps[0].steps[0].then[0]) is in the then branch of "check" and this step "no" (steps[0].steps[0].else[0]) in its else branch: only one of them runs for an item, so steps.yes is empty here or left over from an earlier item of foreach "each", never this item's`,
      ]);
      expect(problems(loop({ then: [set('again', '{% $steps.again.x + 1 %}')] }))).toEqual([
        `${FILE}: steps[0].steps[0].then[0].values.x: reads steps.again, but that is the result of this very step "again" (steps[0].steps[0].then[0]), which does not exist until it has finished; steps.again is empty here or left over from an earlier item of foreach "each", never this item's`,
      ]);
      expect(problems(loop({ condition: '{% $steps.inner.x %}', then: [set('inner', '{% 1 %}')] }))).toEqual([
        `${FILE}: steps[0].steps[0].condition: reads steps.inner, but step "inner" (steps[0].steps[0].then[0]) is nested in this step "check" (steps[0].steps[0]), so it runs after this is evaluated; steps.inner is empty here or left over from an earlier item of foreach "each", never this item's`,
      ]);
    });

    it('says "always empty" where no loop holds both steps, even inside a loop nested in the reader', () => {
      const data = recipe([
        { id: 'check', type: 'if', condition: '{% true %}', then: [set('yes', '{% 1 %}')], else: [set('no', '{% $steps.yes.x %}')] },
        { id: 'each', type: 'foreach', items: '{% $steps.inner.x %}', steps: [set('inner', '{% 1 %}')] },
      ]);
      expect(problems(data)).toEqual([
        `${FILE}: steps[0].else[0].values.x: reads steps.yes, but step "yes" (steps[0].then[0]) is in the then branch of "check" and this step "no" (steps[0].else[0]) in its else branch: only one of them runs, so steps.yes is always empty here`,
        `${FILE}: steps[1].items: reads steps.inner, but step "inner" (steps[1].steps[0]) is nested in this step "each" (steps[1]), so it runs after this is evaluated`,
      ]);
    });
  });

  describe('tables', () => {
    it('rejects a lookup of a table that does not exist', () => {
      const data = recipe([{ id: 'owner', type: 'lookup', table: 'ownres', where: { email: 'a@example.com' } }]);
      expect(problems(data, ['owners', 'regions'])).toEqual([`${FILE}: steps[0].table: unknown table "ownres" (did you mean "owners"?)`]);
      expect(problems(data, [])).toEqual([`${FILE}: steps[0].table: unknown table "ownres"; there are no tables`]);
    });

    it('rejects a lookup whose where names a column the table does not have (a table with a known row schema), suggesting the closest', () => {
      const data = recipe([{ id: 'cmm', type: 'lookup', table: 'approvers', where: { regon: 'EMEA' } }]);
      expect(problems(data, ['approvers'])).toEqual([`${FILE}: steps[0].where.regon: table approvers has no column "regon" (did you mean "region"?)`]);
      // An expression where, and a table without a known schema whose rows are not given, are not checked by column.
      expect(problems(recipe([{ id: 'cmm', type: 'lookup', table: 'approvers', where: "{% region = 'EMEA' %}" }]), ['approvers'])).toEqual([]);
      expect(problems(recipe([{ id: 'owner', type: 'lookup', table: 'owners', where: { anything: 1 } }]), ['owners'])).toEqual([]);
    });

    it('rejects a where column that no row of a table of the user\'s own has (review 8, F7: a typo read as duplicate rows), suggesting the closest column; a column only some rows have is a column', () => {
      const watchers = [
        { region: 'EMEA', emails: ['finance.emea@vendor.example', 'cmm.emea@vendor.example'], team: 'EMEA finance' },
        { region: 'APAC', emails: ['finance.apac@vendor.example'], team: 'APAC finance', note: 'from Q3' },
      ];
      const tableRows = { rows: (name: string) => (name === 'finance-watchers' ? watchers : undefined) };
      const withRows = (data: unknown) => validateRecipe(data, FILE, { catalog: fakeCatalog(), tables: ['finance-watchers'], tableRows }).problems.map(formatProblem);
      const lookup = (where: Record<string, unknown>, mode?: 'all') => recipe([{ id: 'watchers', type: 'lookup', table: 'finance-watchers', where, required: true, ...(mode && { mode }) }]);
      expect(withRows(lookup({ regoin: '{% $trigger.data.status %}' }))).toEqual([
        `${FILE}: steps[0].where.regoin: table finance-watchers has no column "regoin" (did you mean "region"?)`,
      ]);
      // mode all reads the table by the column too; a name no column is near lists the columns.
      expect(withRows(lookup({ area: 'EMEA' }, 'all'))).toEqual([`${FILE}: steps[0].where.area: table finance-watchers has no column "area"; columns: region, emails, team, note`]);
      expect(withRows(lookup({ region: '{% $trigger.data.status %}', note: 'from Q3' }))).toEqual([]);
      // A table with no rows says nothing of its columns.
      const empty = { rows: (name: string) => (name === 'finance-watchers' ? [] : undefined) };
      expect(validateRecipe(lookup({ regoin: 'EMEA' }), FILE, { catalog: fakeCatalog(), tables: ['finance-watchers'], tableRows: empty }).problems).toEqual([]);
    });
  });
});

describe('validate: a number or boolean written in quotes (review10)', () => {
  it('says to write it without quotes, quoting the value given', () => {
    const data = { ...recipe([{ id: 'owner', type: 'lookup', table: 'owners', where: { region: 'EMEA' }, required: 'true' }]), version: '1' };
    expect(problems(data)).toEqual([`${FILE}: version: a number, written without quotes: 1, not "1"`, `${FILE}: steps[0].required: a boolean, written without quotes: true, not "true"`]);
    expect(problems({ ...recipe([{ id: 'done', type: 'stop' }]), version: 'one' })).toEqual([`${FILE}: version: expected a number, got the text "one"`]);
  });
});

describe('validate: an empty list of steps (review10)', () => {
  it('says a branch is empty and, where the key is optional, that it may be left out', () => {
    const data = recipe([
      { id: 'check', type: 'if', condition: '{% true %}', then: [], else: [] },
      { id: 'claim', type: 'wait_for', signal: 'decision', timeout: 'P1D', on_timeout: [] },
    ]);
    expect(problems(data).filter((line) => line.includes('empty'))).toEqual([
      `${FILE}: steps[0].then: empty: give at least one step`,
      `${FILE}: steps[0].else: empty: give at least one step, or leave "else" out`,
      `${FILE}: steps[1].on_timeout: empty: give at least one step, or leave "on_timeout" out`,
    ]);
  });
});

describe('validate: $vars a set step never sets (review10)', () => {
  it('names the variable a set step keeps that a misspelt read meant', () => {
    const data = recipe([
      { id: 'remember', type: 'set', values: { owner: 'ops@vendor.example' } },
      { id: 'keep', type: 'set', values: { who: '{% $vars.ownr %}', same: '{% $vars.owner %}' } },
    ]);
    expect(problems(data)).toEqual([`${FILE}: steps[1].values.who: reads $vars.ownr, but no set step of the recipe sets "ownr" (did you mean "owner"?): it is undefined in every run`]);
  });
});
