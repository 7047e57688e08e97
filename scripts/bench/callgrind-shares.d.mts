/** A callgrind output's instructions in all, and of them the collector's and the optimizing compilers'. */
export function callgrindShares(file: string): Promise<{ total: number; gc: number; jit: number }>;
