export { constant, cosineDecay, linearDecay, linearWarmup, product, sequence, warmupCosine, warmupStableDecay, type Schedule } from './schedules.js';
export { scheduleFromJSON, scheduleToJSON, type ScheduleSpec } from './spec.js';
