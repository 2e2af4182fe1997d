/**
 * The seed's printed tables (../shared/reference/seed-tables.md, from the seed tutorial's own output:
 * an independent reference) and where the seed's data lives (the repository's data/, see its README).
 */
import { fileURLToPath } from 'node:url';

export const dataFile = (name: string): string => fileURLToPath(new URL(`../../data/${name}`, import.meta.url));
export const diabetesCsv = dataFile('data-03-diabetes.csv');

export const TOL = 1.5e-6;

/** Table 1 (toy, manual formula), epochs 0..1000 every 100. */
export const table1 = [0.693147, 0.134722, 0.080643, 0.0579, 0.0453, 0.037261, 0.031673, 0.027556, 0.024394, 0.021888, 0.019852];
/** Table 2 (toy, F.binary_cross_entropy): the seed printed 0.031672 at 600. */
export const table2 = [0.693147, 0.134722, 0.080643, 0.0579, 0.0453, 0.037261, 0.031672, 0.027556, 0.024394, 0.021888, 0.019852];
/** Table 3 (diabetes, manual formula), epochs 0..100 every 10. */
export const table3 = [0.693148, 0.572727, 0.539493, 0.519708, 0.507066, 0.498539, 0.492549, 0.488209, 0.484985, 0.482543, 0.480661];
/** Table 4 (diabetes, F.binary_cross_entropy). */
export const table4 = [0.693147, 0.572727, 0.539494, 0.519708, 0.507065, 0.498539, 0.492549, 0.488208, 0.484985, 0.482543, 0.480661];
/** Table 5 (BinaryClassifier after manual_seed(1)): cost and accuracy %. */
export const table5 = {
  cost: [0.704829, 0.572391, 0.539563, 0.520042, 0.507561, 0.499125, 0.493177, 0.488846, 0.485612, 0.483146, 0.481234],
  accuracy: [45.72, 67.59, 73.25, 75.89, 76.15, 76.42, 77.21, 76.81, 76.28, 76.55, 76.81],
};
/** Accuracy of the trained diabetes model on the training set. */
export const diabetesAccuracy = 76.68;
/** PyTorch's toy parameters after 1000 epochs (seed-tables.md). */
export const toyTrained = { W: [3.252991, 1.517896], b: [-14.481887] };
