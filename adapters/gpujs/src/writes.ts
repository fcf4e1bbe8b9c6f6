/**
 * Applying a scope's assigns all at once. The writes take effect in order, as if each copied its
 * value when applied (`assign(a, b); assign(b, a)` leaves both holding `b`'s old values), and
 * nothing changes unless every copy has been made.
 */
import type { MaybePromise } from '@lmo/core/backend';
import type { Engine } from './engine.js';
import { valueOf } from './runtime.js';
import type { Storage } from './tensor.js';
import type { DeviceValue } from './types.js';

/** A write: `target` is to hold `value`'s contents (same size). */
export interface StorageWrite {
  readonly target: Storage;
  readonly value: Storage;
}

/** Writes whose new values are ready: `commit` makes them visible, `discard` drops them. */
export interface StagedWrites {
  commit(): void;
  discard(): void;
}

/**
 * Prepares `writes`. Host arrays are overwritten in place at commit (the array stays the
 * tensor's memory). Device values are copied into new textures or buffers first (copies of the
 * values already staged for a target when a later write reads it); commit swaps them in and frees
 * the old ones.
 */
export function stageWrites(engine: Engine, writes: readonly StorageWrite[]): MaybePromise<StagedWrites> {
  const live = writes.filter((w) => !w.target.empty && !w.target.released);
  if (engine.host) {
    return {
      commit() {
        for (const { target, value } of live) (valueOf(target) as Float32Array).set(valueOf(value) as Float32Array);
      },
      discard() {},
    };
  }
  const staged = new Map<Storage, DeviceValue>();
  const superseded: DeviceValue[] = [];
  const discard = (): void => {
    for (const v of [...staged.values(), ...superseded]) engine.release(v);
    staged.clear();
    superseded.length = 0;
  };
  const stage = (i: number): MaybePromise<StagedWrites> => {
    for (; i < live.length; i++) {
      const { target, value } = live[i]!;
      const copied = engine.copy(staged.get(value) ?? valueOf(value), target.size);
      const keep = (v: DeviceValue): void => {
        const before = staged.get(target);
        if (before !== undefined) superseded.push(before);
        staged.set(target, v);
      };
      if (copied instanceof Promise) {
        const next = i + 1;
        return copied
          .then(keep)
          .then(() => stage(next))
          .catch((error: unknown) => {
            discard();
            throw error;
          });
      }
      keep(copied);
    }
    return {
      commit() {
        for (const [target, v] of staged) {
          if (target.value !== null) engine.release(target.value);
          target.value = v;
        }
        for (const v of superseded) engine.release(v);
        staged.clear();
        superseded.length = 0;
      },
      discard,
    };
  };
  try {
    return stage(0);
  } catch (error) {
    discard();
    throw error;
  }
}
