-- The Vigil inventory query pack, one query a line (name in the comment above).
-- Generated from vigil-pack.conf; the importer reads the results by name.
-- system_info
SELECT hostname, computer_name, uuid, cpu_brand, cpu_physical_cores, cpu_logical_cores, physical_memory, hardware_vendor, hardware_model, hardware_serial FROM system_info;
-- os_version
SELECT name, version, build, platform, codename, arch FROM os_version;
-- kernel_info
SELECT version FROM kernel_info;
-- uptime
SELECT total_seconds FROM uptime;
-- interface_addresses
SELECT interface, address, mask FROM interface_addresses;
-- interface_details
SELECT interface, mac FROM interface_details;
-- routes
SELECT destination, netmask, gateway FROM routes WHERE destination IN ('0.0.0.0', '::') AND netmask = 0;
-- dns_resolvers
SELECT address FROM dns_resolvers WHERE type = 'nameserver';
-- listening_ports
SELECT lp.protocol, lp.address, lp.port, lp.pid, p.name FROM listening_ports lp LEFT JOIN processes p USING (pid) WHERE lp.port != 0;
-- processes
SELECT p.pid, p.parent, p.name, p.path, u.username FROM processes p LEFT JOIN users u ON p.uid = u.uid;
-- deb_packages
SELECT name, version, arch, maintainer FROM deb_packages;
-- rpm_packages
SELECT name, version, release, epoch, arch, vendor, install_time FROM rpm_packages;
-- programs
SELECT name, version, publisher, install_date FROM programs;
-- patches
SELECT hotfix_id, installed_on, description FROM patches;
-- users
SELECT u.uid, u.uuid, u.username, u.shell, u.type, (SELECT group_concat(g.groupname, ',') FROM user_groups ug JOIN groups g ON g.gid = ug.gid WHERE ug.uid = u.uid) AS groups FROM users u;
-- logged_in_users
SELECT user, tty, host, time FROM logged_in_users WHERE type = 'user';
-- mounts
SELECT path, device, type, blocks_size, blocks, blocks_available FROM mounts;
-- logical_drives
SELECT device_id, file_system, size, free_space FROM logical_drives;
-- windows_security_products
SELECT type, name, state, signatures_up_to_date, state_timestamp FROM windows_security_products;
-- windows_security_center
SELECT firewall, autoupdate, antivirus FROM windows_security_center;
-- bitlocker_info
SELECT drive_letter, protection_status FROM bitlocker_info;
