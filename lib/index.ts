export * from './key-material-source';
export * from './key-usage-finding';
export * from './material-expiration';
export * from './retention';
export * from './rotating-imported-key';
export * from './rotating-imported-key-props';
export * from './rotation-interval';
export * from './wrapping';
