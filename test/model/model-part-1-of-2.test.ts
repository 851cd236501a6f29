/** Histories of the model-based property, part 1 of 2 (see model-histories.ts). */
import { describeModelHistories } from './model-histories';

describeModelHistories(0, 2);
