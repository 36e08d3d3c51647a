export declare const BUNDLE: string;
export declare function bundleState(): 'missing' | 'stale' | 'fresh';
