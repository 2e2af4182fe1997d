/** graphc's version, as package.json states it (a test holds the two equal). */
export const version = '0.1.0';
