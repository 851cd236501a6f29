export * from './types';
export * from './evaluate';
export * from './kms-authorize';
export * from './authorize-request';
