/** The trailer in which gRPC carries a google.rpc.Status with the error details. */
export const STATUS_DETAILS_BIN = 'grpc-status-details-bin';
