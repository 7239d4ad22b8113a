import { describeAggregation } from './suite.js';

describeAggregation('sqlite');
