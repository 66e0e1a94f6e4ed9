import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createCircuitBreaker,
  type CircuitAdmission,
  type CircuitState,
  type CircuitTicket,
} from '../../../src/upstream/circuit-breaker.ts';

function setup(failureThreshold = 3, openSeconds = 30) {
  let now = 1_000_000;
  const changes: CircuitState[] = [];
  const breaker = createCircuitBreaker({
    failureThreshold,
    openSeconds,
    clock: () => now,
    onStateChange: (state) => changes.push(state),
  });
  return {
    breaker,
    changes,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function ticketOf(admission: CircuitAdmission): CircuitTicket {
  assert.equal(admission.allowed, true);
  return admission.ticket;
}

function refusal(admission: CircuitAdmission): number {
  assert.equal(admission.allowed, false);
  return admission.retryAfterSeconds;
}

describe('createCircuitBreaker', () => {
  it('stays closed while failures are not consecutive', () => {
    const { breaker } = setup(3);
    ticketOf(breaker.admit()).failed();
    ticketOf(breaker.admit()).failed();
    ticketOf(breaker.admit()).succeeded();
    ticketOf(breaker.admit()).failed();
    ticketOf(breaker.admit()).failed();
    assert.equal(breaker.state(), 'closed');
  });

  it('opens after failureThreshold consecutive failures and refuses with the seconds left', () => {
    const { breaker, changes, advance } = setup(3, 30);
    for (let i = 0; i < 3; i += 1) ticketOf(breaker.admit()).failed();
    assert.equal(breaker.state(), 'open');
    assert.deepEqual(changes, ['open']);
    assert.equal(refusal(breaker.admit()), 30);
    advance(12_500);
    assert.equal(refusal(breaker.admit()), 18);
    assert.equal(breaker.retryAfterSeconds(), 18);
  });

  it('lets exactly one probe through when half-open, and closes on its success', () => {
    const { breaker, changes, advance } = setup(1, 10);
    ticketOf(breaker.admit()).failed();
    advance(10_000);
    const probe = ticketOf(breaker.admit());
    assert.equal(breaker.state(), 'half-open');
    assert.equal(refusal(breaker.admit()), 1);
    probe.succeeded();
    assert.equal(breaker.state(), 'closed');
    assert.deepEqual(changes, ['open', 'half-open', 'closed']);
    ticketOf(breaker.admit());
  });

  it('opens again for a full period when the probe fails', () => {
    const { breaker, advance } = setup(1, 10);
    ticketOf(breaker.admit()).failed();
    advance(10_000);
    ticketOf(breaker.admit()).failed();
    assert.equal(breaker.state(), 'open');
    assert.equal(refusal(breaker.admit()), 10);
  });

  it('frees the probe slot when the probe made no call', () => {
    const { breaker, advance } = setup(1, 10);
    ticketOf(breaker.admit()).failed();
    advance(10_000);
    ticketOf(breaker.admit()).released();
    assert.equal(breaker.state(), 'half-open');
    ticketOf(breaker.admit()).succeeded();
    assert.equal(breaker.state(), 'closed');
  });

  it('ignores late tickets from before the circuit opened', () => {
    const { breaker } = setup(2, 10);
    const slow = ticketOf(breaker.admit());
    ticketOf(breaker.admit()).failed();
    ticketOf(breaker.admit()).failed();
    assert.equal(breaker.state(), 'open');
    slow.succeeded();
    assert.equal(breaker.state(), 'open');
  });

  it('counts only the first outcome of a ticket', () => {
    const { breaker } = setup(2, 10);
    const ticket = ticketOf(breaker.admit());
    ticket.failed();
    ticket.failed();
    assert.equal(breaker.state(), 'closed');
  });

  it('has no Retry-After while closed', () => {
    const { breaker } = setup();
    assert.equal(breaker.retryAfterSeconds(), undefined);
  });
});
