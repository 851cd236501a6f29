/** Histories of the model-based property, part 2 of 2 (see model-histories.ts). */
import { describeModelHistories } from './model-histories';

describeModelHistories(1, 2);
