/**
 * The decision point for backpressure. The local policy pauses at the high watermark and resumes at the
 * low one; CoordinatedPolicy (below) adds the hub's cluster-wide decision.
 */
export const PressureStates = { FLOWING: 'flowing', PAUSED: 'paused' } as const
export type PressureState = (typeof PressureStates)[keyof typeof PressureStates]

export interface BackpressurePolicy {
  /** Given the buffer fill (messages held), return the state the instance should be in. */
  decide(buffered: number): PressureState
}

export class WatermarkPolicy implements BackpressurePolicy {
  readonly #high: number
  readonly #low: number
  #state: PressureState = PressureStates.FLOWING

  constructor(capacity: number, highFraction: number, lowFraction: number) {
    this.#high = Math.ceil(capacity * highFraction)
    this.#low = Math.floor(capacity * lowFraction)
  }

  decide(buffered: number): PressureState {
    if (this.#state === PressureStates.FLOWING && buffered >= this.#high) this.#state = PressureStates.PAUSED
    else if (this.#state === PressureStates.PAUSED && buffered <= this.#low)
      this.#state = PressureStates.FLOWING
    return this.#state
  }
}

/**
 * Local watermarks plus the hub's cluster-wide decision: paused when either says so. `hubHold` is null while
 * the hub cannot be reached, and then only the local watermarks count (the hub going down never stops
 * ingestion).
 */
export class CoordinatedPolicy implements BackpressurePolicy {
  readonly #local: BackpressurePolicy
  #localState: PressureState = PressureStates.FLOWING
  hubHold: boolean | null = null

  constructor(local: BackpressurePolicy) {
    this.#local = local
  }

  /** What the instance's own watermarks say (reported to the hub). */
  get localState(): PressureState {
    return this.#localState
  }

  decide(buffered: number): PressureState {
    this.#localState = this.#local.decide(buffered)
    if (this.#localState === PressureStates.PAUSED || this.hubHold === true) return PressureStates.PAUSED
    return PressureStates.FLOWING
  }
}
