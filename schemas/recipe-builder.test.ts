import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { action, defineRecipe, expr, foreach, lookup, set, stop, wait, waitFor, when } from './recipe-builder.ts';
import { Recipe } from './recipe.ts';

describe('defineRecipe', () => {
  it('builds the same recipe as the shipped hand-written JSON', () => {
    const json = JSON.parse(readFileSync(new URL('../recipes/mdf-requests/mdf-request-cancellation.recipe.json', import.meta.url), 'utf8'));
    const request = (path: string) => expr(`$steps.request.${path}`);
    // D11, D12: PRM reads wait out an outage of up to 12 hours, as the claim recipes' do.
    const retry = { initial_interval: 'PT1M', backoff_rate: 2, max_interval: 'PT15M', give_up_after: 'PT12H' };
    const built = defineRecipe({
      $schema: '../../schemas/json/recipe.schema.json',
      name: 'mdf-request-cancellation',
      version: 11,
      description: json.description,
      trigger: {
        type: 'webhook',
        event: 'prm.mdf_request.status_changed',
        filter: expr("data.status = 'Canceled'"),
      },
      steps: [
        action('request', 'prm.get_mdf_request', { mdf_number: expr('$trigger.data.mdfNumber') }, { retry }),
        action('partner', 'prm.get_partner', { partner_id: request('partnerId') }, { retry }),
        lookup('ops_contact', 'mdf-programme', { programme: 'MDF' }, {
          required: true,
          description: "Who ops are (the mdf-programme table's ops_email, ops_name): told instead when the partner has no usable address.",
        }),
        action('partner_address', 'mdf.partner_address', { request: expr('$steps.request'), partner: expr('$steps.partner'), ops: expr('$steps.ops_contact') }, {
          description:
            "D7, D11, D12: where the partner's emails of this run go, chosen once: the request's Submitted By Email when it is an address, else the partner's contact email; when neither is, each partner email of the run goes to ops instead (email.send's unreachable: mdf-request-email-not-sent, naming the MDF number, the values and what the partner was not told) and the run goes on.",
        }),
        when('still_canceled', expr("$steps.request.status != 'Canceled'"), [stop('not_canceled_anymore', { status: 'completed', reason: 'The request is no longer Canceled in the PRM.' })], undefined, {
          description: 'A late or replayed webhook must not cancel a request that ops reopened meanwhile.',
        }),
        action('request_claims', 'prm.list_mdf_claims', { mdf_number: request('mdfNumber') }, {
          retry,
          description: "D13, D18: the request's claims: one Approved or Paid means its money went out (or goes out), so what it holds in a flexi-budget stays held.",
        }),
        when(
          'nothing_claimed',
          expr("$count($steps.request_claims.claims[status in ['Approved', 'Paid']]) = 0"),
          [
            action('release_flexi', 'budget.release', { holder: expr("'mdf-request:' & $steps.request.mdfNumber") }, {
              description: 'D13: a canceled request gives back what it held in a flexi-budget (nothing, for a request that held none), so a later request fits. Before the email: a failure here is retried by ops with nothing told twice.',
            }),
          ],
          undefined,
          {
            description:
              'D13: only a request none of whose claims is Approved or Paid gives its flexi amount back. One canceled after its claim was approved (the request Closed) keeps it: the claim is still paid, and a later request must not be let into the flexi-budget on money already spent.',
          },
        ),
        action(
          'tell_partner_canceled',
          'email.send',
          {
            to: expr('$steps.partner_address.to[]'),
            unreachable: expr('$steps.partner_address.unreachable'),
            template: 'mdf-request-canceled',
            data: { request: expr('$steps.request'), partner: expr('$steps.partner'), claims: expr('$steps.request_claims.claims[]') },
            tell_on_change: {
              subject: expr("'mdf-request-status:' & $steps.request.mdfNumber"),
              value: 'Canceled',
              as_of: request('updated'),
              told_before_once_per: expr("'mdf-request-canceled:' & $steps.request.mdfNumber"),
            },
          },
          { description: json.steps[7].description },
        ),
        action(
          'sync_canceled',
          'runs.start',
          { recipe: 'mdf-request-salesforce-sync', input: { mdf_number: request('mdfNumber') } },
          { description: 'D1: Salesforce follows (Rejected, no Amount) in a sync run of its own.' },
        ),
      ],
      on_error: {
        steps: [
          lookup('failed_ops', 'mdf-programme', { programme: 'MDF' }, { required: true, description: 'Who ops are (the mdf-programme table).' }),
          action(
            'tell_ops_failed',
            'email.send',
            {
              to: [expr('$steps.failed_ops.ops_email')],
              template: 'mdf-request-run-failed',
              once_per: expr("'mdf-request-run-failed:' & $run.id & ':' & $error.stepKey"),
              data: {
                ops: expr('$steps.failed_ops'),
                recipe: 'mdf-request-cancellation',
                mdf_number: expr('$trigger.data.mdfNumber'),
                run_id: expr('$run.id'),
                step: expr('$error.stepKey'),
                error: expr('$error.message'),
                left_undone: json.on_error.steps[1].input.data.left_undone,
              },
            },
            { retry, description: json.on_error.steps[1].description },
          ),
        ],
      },
    });
    expect(built).toEqual(json);
    expect(Recipe.parse(built)).toEqual(Recipe.parse(json));
  });

  it('returns plain JSON data, without undefined fields', () => {
    const built = defineRecipe({
      name: 'plain-data',
      version: 1,
      description: 'd',
      trigger: { type: 'schedule', cron: '0 8 * * 1-5' },
      steps: [set('today', { day: expr('$today()'), note: undefined })],
    });
    expect(JSON.stringify(built)).toBe(
      '{"name":"plain-data","version":1,"description":"d","trigger":{"type":"schedule","cron":"0 8 * * 1-5"},"steps":[{"id":"today","type":"set","values":{"day":"{% $today() %}"}}]}',
    );
  });

  it('throws with each JSON path and problem when the recipe is not valid', () => {
    expect(() =>
      defineRecipe({
        name: 'Not Kebab',
        version: 1,
        description: 'd',
        trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
        steps: [wait('pause', { for: 'two days' })],
      }),
    ).toThrow('recipe "Not Kebab" is not valid: name: a recipe name is kebab-case; steps[0].for: an ISO 8601 duration such as P2D or PT30M');
  });
});

describe('step helpers', () => {
  it('write the steps as the recipe language spells them', () => {
    expect(expr('  steps.request.mdfNumber ')).toBe('{% steps.request.mdfNumber %}');
    expect(lookup('approver', 'approvers', { region: expr('$vars.region') }, { required: true })).toEqual({
      id: 'approver',
      type: 'lookup',
      table: 'approvers',
      where: { region: '{% $vars.region %}' },
      required: true,
    });
    expect(foreach('each_lead', expr('$steps.leads'), [stop('done')], { as: 'lead' })).toEqual({
      id: 'each_lead',
      type: 'foreach',
      items: '{% $steps.leads %}',
      as: 'lead',
      steps: [{ id: 'done', type: 'stop' }],
    });
    expect(waitFor('decision', { signal: 'decision' }, { timeout: { business_days: 2 }, on_timeout: [stop('late', { status: 'failed' })] })).toEqual({
      id: 'decision',
      type: 'wait_for',
      signal: 'decision',
      timeout: { business_days: 2 },
      on_timeout: [{ id: 'late', type: 'stop', status: 'failed' }],
    });
    expect(wait('until_start', { until: expr('$trigger.data.startDate') })).toEqual({ id: 'until_start', type: 'wait', until: '{% $trigger.data.startDate %}' });
    expect(action('ping', 'fake.echo', undefined, { retry: { max_attempts: 5 }, on_error: 'continue' })).toEqual({
      id: 'ping',
      type: 'action',
      action: 'fake.echo',
      retry: { max_attempts: 5 },
      on_error: 'continue',
    });
  });
});
