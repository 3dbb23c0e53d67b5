/**
 * Waits for `work` to settle, at most `ms`: true when it did (fulfilled or rejected alike: the callers wait for a
 * close or a flush and go on either way), false when the time ran out first. The timer is cleared once `work`
 * settles, so nothing keeps the process alive for the rest of the time.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([work.then(settled, settled), expired])
  } finally {
    clearTimeout(timer)
  }
}

const settled = (): true => true
