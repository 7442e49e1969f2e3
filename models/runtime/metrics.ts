/**
 * The paper's four metrics from one confusion matrix (rows: ground truth, columns:
 * prediction), as in fcn.berkeleyvision.org's score.py. n_ij = pixels of class i predicted
 * as j, t_i = sum_j n_ij:
 *   pixel accuracy  sum_i n_ii / sum_i t_i
 *   mean accuracy   (1/n_cl) sum_i n_ii / t_i
 *   mean IU         (1/n_cl) sum_i n_ii / (t_i + sum_j n_ji - n_ii)
 *   f.w. IU         (sum_k t_k)^-1 sum_i t_i n_ii / (t_i + sum_j n_ji - n_ii)
 * Classes whose ratio is 0/0 are left out of the means.
 */

export class ConfusionMatrix {
  readonly classes: number;
  readonly counts: Float64Array;
  constructor(classes: number) {
    this.classes = classes;
    this.counts = new Float64Array(classes * classes);
  }

  /** Add a prediction; ground-truth values >= classes (void) are ignored. */
  add(prediction: Uint8Array, truth: Uint8Array): this {
    if (prediction.length !== truth.length) throw new Error("prediction and truth differ in size");
    const n = this.classes;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      if (t < n) this.counts[t * n + prediction[i]]++;
    }
    return this;
  }
}

export interface Scores {
  pixelAccuracy: number;
  meanAccuracy: number;
  meanIU: number;
  frequencyWeightedIU: number;
  /** Per-class IU (NaN where 0/0). */
  iu: number[];
}

const nanMean = (xs: number[]) => {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.reduce((a, b) => a + b, 0) / ok.length;
};

export function scores(m: ConfusionMatrix): Scores {
  const n = m.classes;
  const tp: number[] = [];
  const truth: number[] = [];
  const predicted: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < n; j++) {
      row += m.counts[i * n + j];
      col += m.counts[j * n + i];
    }
    tp.push(m.counts[i * n + i]);
    truth.push(row);
    predicted.push(col);
    total += row;
  }
  const acc = tp.map((v, i) => v / truth[i]);
  const iu = tp.map((v, i) => v / (truth[i] + predicted[i] - v));
  let fw = 0;
  for (let i = 0; i < n; i++) if (truth[i] > 0) fw += (truth[i] / total) * iu[i];
  return {
    pixelAccuracy: tp.reduce((a, b) => a + b, 0) / total,
    meanAccuracy: nanMean(acc),
    meanIU: nanMean(iu),
    frequencyWeightedIU: fw,
    iu,
  };
}
