// Learning-rate schedules, stepped once per epoch like torch.optim.lr_scheduler: closed forms for step, exponential
// and cosine; ReduceLROnPlateau keeps state (saved in checkpoints).
import type { Training } from '../../shared/graph/schema';

type Schedule = Training['schedule'];

export interface PlateauState {
  /** multiplier on the base lr so far */
  scale: number;
  best: number | null;
  badEpochs: number;
}

export const initialPlateau = (): PlateauState => ({ scale: 1, best: null, badEpochs: 0 });

/** The learning rate for epoch `epoch` (0-based). */
export function learningRate(schedule: Schedule, baseLr: number, epoch: number, plateau: PlateauState): number {
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * schedule.gamma ** Math.floor(epoch / schedule.step_size);
    case 'exponential':
      return baseLr * schedule.gamma ** epoch;
    case 'cosine':
      return schedule.eta_min + ((baseLr - schedule.eta_min) * (1 + Math.cos((Math.PI * Math.min(epoch, schedule.T_max)) / schedule.T_max))) / 2;
    case 'reduce-on-plateau':
      return Math.max(baseLr * plateau.scale, schedule.min_lr);
  }
}

/** After an epoch: ReduceLROnPlateau(mode='min', threshold_mode='rel') with the monitored loss. */
export function updatePlateau(schedule: Schedule, state: PlateauState, loss: number): PlateauState {
  if (schedule.kind !== 'reduce-on-plateau') return state;
  if (state.best === null || loss < state.best * (1 - schedule.threshold)) return { ...state, best: loss, badEpochs: 0 };
  const badEpochs = state.badEpochs + 1;
  if (badEpochs > schedule.patience) return { ...state, scale: state.scale * schedule.factor, badEpochs: 0 };
  return { ...state, badEpochs };
}
