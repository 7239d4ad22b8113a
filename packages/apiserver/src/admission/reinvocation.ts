/**
 * Which hooks of a mutating plugin run in the chain's second pass (Go's webhookReinvokeContext and
 * policyReinvokeContext): those with reinvocationPolicy IfNeeded that ran before the object was
 * changed again, by a later hook of the plugin or by another plugin.
 */
import type { KubeObject } from '@kapi/apimachinery';
import type { AdmissionAttributes, ReinvocationContext } from '../registry/rest.js';
import { deepCopy, deepEqual } from '@kapi/apimachinery';

class HookState {
  lastOutput: KubeObject | undefined;
  previouslyInvoked = new Set<string>();
  readonly reinvoke = new Set<string>();

  /** The IfNeeded hooks that ran before the last change run again in the second pass. */
  requireReinvokingPreviouslyInvoked(): void {
    for (const id of this.previouslyInvoked) this.reinvoke.add(id);
    this.previouslyInvoked = new Set();
  }
}

/** A single pass when the plugin runs outside an AdmissionChain. */
const SINGLE_PASS: ReinvocationContext = { isReinvoke: false, requestReinvocation: () => undefined, value: (_plugin, init) => init() };

export class HookReinvocation {
  private constructor(
    private readonly context: ReinvocationContext,
    private readonly state: HookState,
  ) {}

  /** The plugin's reinvocation state for this request; call `begin` before its hooks and `end` after. */
  static of(attrs: AdmissionAttributes, plugin: string): HookReinvocation {
    const context = attrs.reinvocation ?? SINGLE_PASS;
    return new HookReinvocation(context, context.value(plugin, () => new HookState()));
  }

  get isReinvoke(): boolean {
    return this.context.isReinvoke;
  }

  /** In the second pass, an object changed since this plugin last ran (by another plugin) reinvokes its IfNeeded hooks. */
  begin(object: KubeObject | undefined): void {
    if (this.context.isReinvoke && !deepEqual(this.state.lastOutput, object)) this.state.requireReinvokingPreviouslyInvoked();
  }

  /** Whether hook `id` runs in this pass: every hook in the first, only those to reinvoke in the second. */
  shouldCall(id: string): boolean {
    return !this.context.isReinvoke || this.state.reinvoke.has(id);
  }

  /** A hook changed the object: the IfNeeded hooks before it run again, and the chain runs a second pass. */
  changed(): void {
    this.state.requireReinvokingPreviouslyInvoked();
    this.context.requestReinvocation();
  }

  /** Hook `id` ran; with reinvocationPolicy IfNeeded it runs again if the object changes after it. */
  invoked(id: string, ifNeeded: boolean): void {
    if (ifNeeded) this.state.previouslyInvoked.add(id);
  }

  /** The object as the plugin leaves it, to tell in the second pass whether others changed it since. */
  end(object: KubeObject | undefined): void {
    this.state.lastOutput = object ? deepCopy(object) : undefined;
  }
}
