-- A handful of customers. Dates are fixed: tests pass `now` to Erase
-- (e.g. 2025-06-01), so which orders (3 years) and login logs (6 months)
-- are held does not depend on the day the tests run.
INSERT INTO customers (id, email, phone, full_name, account_id, status, created_at) VALUES
    (1, 'zhang.wei@example.com', '+8613800138000', '张伟', 'cn-1001', 'active', '2020-11-02 08:30:00'),
    (2, 'alice@example.com', '+447700900123', 'Alice Smith', 'uk-2002', 'active', '2021-01-15 12:00:00'),
    (3, 'li.na@example.com', '+8613900139000', '李娜', 'cn-1003', 'active', '2019-06-20 09:15:00'),
    (4, 'bob@example.com', '+14155550100', 'Bob Jones', 'us-2004', 'active', '2022-03-03 17:45:00'),
    (5, 'wang.fang@example.com', '+8613700137000', '王芳', 'cn-1005', 'active', '2023-08-08 08:08:00');

INSERT INTO addresses (id, customer_id, line1, city, postcode, country) VALUES
    (1, 1, '朝阳区建国路 88 号', '北京', '100022', 'CN'),
    (2, 2, '221B Baker Street', 'London', 'NW1 6XE', 'GB'),
    (3, 3, '浦东新区世纪大道 100 号', '上海', '200120', 'CN'),
    (4, 4, '1 Market Street', 'San Francisco', '94105', 'US'),
    (5, 1, '天河区珠江新城 1 号', '广州', '510623', 'CN');

-- Orders before 2022-06-01 are older than 3 years on 2025-06-01.
INSERT INTO orders (id, customer_id, placed_at, total, ship_to) VALUES
    (1, 1, '2021-03-15 10:00:00', 199.00, '北京'),
    (2, 1, '2024-11-20 14:30:00', 58.50, '广州'),
    (3, 2, '2024-12-24 09:00:00', 120.00, 'London'),
    (4, 3, '2020-07-01 11:11:00', 35.90, '上海'),
    (5, 5, '2025-01-10 20:00:00', 88.00, '深圳'),
    (6, 2, '2021-02-02 08:00:00', 15.00, 'London');

INSERT INTO order_items (id, order_id, sku, name, quantity, price) VALUES
    (1, 1, 'TEA-001', '龙井茶', 2, 99.50),
    (2, 2, 'CUP-002', '茶杯', 3, 19.50),
    (3, 3, 'BOOK-003', 'A Study in Scarlet', 1, 120.00),
    (4, 4, 'PEN-004', '钢笔', 1, 35.90),
    (5, 5, 'FAN-005', '折扇', 4, 22.00),
    (6, 6, 'MUG-006', 'Mug', 1, 15.00);

-- Login logs before 2024-12-01 are older than 6 months on 2025-06-01.
INSERT INTO login_logs (id, customer_id, ip, user_agent, at) VALUES
    (1, 1, '203.0.113.10', 'Mozilla/5.0 (iPhone)', '2024-09-01 07:00:00'),
    (2, 1, '203.0.113.11', 'Mozilla/5.0 (iPhone)', '2025-05-20 22:15:00'),
    (3, 2, '198.51.100.7', 'Mozilla/5.0 (Macintosh)', '2025-04-01 12:00:00'),
    (4, 3, '192.0.2.33', 'Mozilla/5.0 (Windows NT 10.0)', '2023-01-05 06:00:00'),
    (5, 4, '198.51.100.99', 'curl/8.0', '2025-05-31 23:59:00'),
    (6, 1, '203.0.113.12', 'Mozilla/5.0 (iPad)', '2024-12-15 09:30:00');

INSERT INTO wallets (id, customer_id, balance, currency) VALUES
    (1, 1, 0.00, 'CNY'),
    (2, 2, 25.50, 'GBP'),
    (3, 5, 0.00, 'CNY');
