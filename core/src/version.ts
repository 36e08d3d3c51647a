/** Version of @cch/core; plugins declare the range they support. */
export const CORE_VERSION = '0.1.0';
