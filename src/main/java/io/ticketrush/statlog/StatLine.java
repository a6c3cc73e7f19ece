package io.ticketrush.statlog;

/**
 * One line of stat.log, the article's {@code key:value} pairs first:
 * {@code port:3001,status:200,result:1,localSales:145,sale:G1234,user:alice,order:17,existing:1,ts:...}.
 * {@code sale} is left out for a request that named a bad one, {@code user} and {@code order}
 * when there is none; {@code existing:1} marks an order the buyer already had.
 *
 * @param result the answer's {@code code}: 1 ticket, -1 sold out, 0 error
 * @param ts milliseconds since the epoch
 */
public record StatLine(int port, int status, int result, int localSales, String sale, String user, String orderId,
        boolean existing, long ts) {

    public String format() {
        StringBuilder line = new StringBuilder(96).append("port:").append(port).append(",status:").append(status)
                .append(",result:").append(result).append(",localSales:").append(localSales);
        if (sale != null) {
            line.append(",sale:").append(sale);
        }
        if (user != null) {
            line.append(",user:").append(user);
        }
        if (orderId != null) {
            line.append(",order:").append(orderId);
            if (existing) {
                line.append(",existing:1");
            }
        }
        return line.append(",ts:").append(ts).toString();
    }
}
