import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { describeFailure, installProcessGuards, redactSecretsInText } from './process-guards.js';

describe('redactSecretsInText', () => {
  it('removes URL passwords, bearer tokens and key=value secrets, and keeps the rest', () => {
    expect(redactSecretsInText('connect postgres://app:s3cr3t@db:5432/x failed')).toBe('connect postgres://app:[redacted]@db:5432/x failed');
    expect(redactSecretsInText('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def')).toBe('Authorization: Bearer [redacted]');
    expect(redactSecretsInText('{"client_secret":"abc123","name":"x"}')).toBe('{"client_secret":"[redacted]","name":"x"}');
    expect(redactSecretsInText('retry with password=hunter2&user=bob')).toBe('retry with password=[redacted]&user=bob');
    expect(redactSecretsInText('ICCID 8988228066612345678 not found')).toBe('ICCID 8988228066612345678 not found');
  });
});

describe('installProcessGuards', () => {
  const setup = () => {
    const target = new EventEmitter();
    const logger = { error: vi.fn(), fatal: vi.fn() };
    const onUncaughtException = vi.fn();
    const exit = vi.fn();
    const guards = installProcessGuards({ logger, onUncaughtException, exit, target: target as unknown as NodeJS.Process });
    const counters = { unhandledRejections: { inc: vi.fn() }, uncaughtExceptions: { inc: vi.fn() } };
    return { target, logger, onUncaughtException, exit, guards, counters };
  };

  it('logs and counts an unhandled rejection and does nothing else', () => {
    const { target, logger, onUncaughtException, exit, guards, counters } = setup();
    target.emit('unhandledRejection', 'plain reason with token=abc');
    guards.attach(counters);
    target.emit('unhandledRejection', new Error('failed: password=abc'));
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(logger.error.mock.calls[1]![0]).toMatchObject({ err: { type: 'Error', message: 'failed: password=[redacted]' } });
    expect(logger.error.mock.calls[0]![0]).toMatchObject({ err: { type: 'string', message: 'plain reason with token=[redacted]' } });
    expect(counters.unhandledRejections.inc).toHaveBeenCalledTimes(1);
    expect(onUncaughtException).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    guards.dispose();
    expect(target.listenerCount('unhandledRejection')).toBe(0);
  });

  it('drains once on an uncaught exception and exits at once on a second', () => {
    const { target, logger, onUncaughtException, exit, guards, counters } = setup();
    guards.attach(counters);
    target.emit('uncaughtException', new Error('boom'));
    expect(onUncaughtException).toHaveBeenCalledTimes(1);
    expect(exit).not.toHaveBeenCalled();
    target.emit('uncaughtException', new Error('again'));
    expect(onUncaughtException).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(logger.fatal).toHaveBeenCalledTimes(2);
    expect(counters.uncaughtExceptions.inc).toHaveBeenCalledTimes(2);
    guards.dispose();
  });

  it('describes non-Error values without throwing', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeFailure(circular)).toMatchObject({ type: 'object' });
    expect(describeFailure(undefined)).toMatchObject({ type: 'undefined', message: 'undefined' });
  });
});
