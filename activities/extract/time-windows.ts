export interface TimeWindow {
  start: Date;
  end: Date;
}

/** `[from, until)` cut into consecutive windows of at most `longestMs`, oldest first; the same bounds give the same windows. */
export function timeWindows(from: Date, until: Date, longestMs: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (let start = from.getTime(); start < until.getTime(); start += longestMs) {
    windows.push({ start: new Date(start), end: new Date(Math.min(start + longestMs, until.getTime())) });
  }
  return windows;
}
